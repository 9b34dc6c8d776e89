import type { FastifyRequest } from 'fastify';
import { presentedKey } from './presented-key';

const request = (headers: Record<string, string>, query: Record<string, string> = {}) => ({ headers, query }) as unknown as FastifyRequest;

describe('presentedKey', () => {
  it('reads X-API-Key first, then Authorization: Bearer', () => {
    expect(presentedKey(request({ 'x-api-key': 'pb_a', authorization: 'Bearer pb_b' }))).toBe('pb_a');
    expect(presentedKey(request({ authorization: 'bearer pb_b ' }))).toBe('pb_b');
    expect(presentedKey(request({ authorization: 'Basic abc' }))).toBeUndefined();
    expect(presentedKey(request({}))).toBeUndefined();
  });

  it('refuses a key in the query string, whatever the headers say', () => {
    for (const name of ['apiKey', 'api_key', 'KEY', 'token']) {
      expect(() => presentedKey(request({ 'x-api-key': 'pb_a' }, { [name]: 'pb_a' }))).toThrow(expect.objectContaining({ code: 'API_KEY_IN_QUERY' }));
    }
    expect(presentedKey(request({ 'x-api-key': 'pb_a' }, { limit: '5' }))).toBe('pb_a');
  });
});
