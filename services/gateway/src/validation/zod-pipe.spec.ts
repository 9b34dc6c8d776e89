import { z } from 'zod';
import { safeHeaderValue } from './header-value';
import { zodBody, zodQuery } from './zod-pipe';

const Body = z.object({ name: z.string(), tags: z.array(z.string()).default([]) });

describe('zodBody / zodQuery', () => {
  it('parses, applies defaults, and treats a missing body as {}', () => {
    expect(zodBody(Body).transform({ name: 'a' }, { type: 'body' })).toEqual({ name: 'a', tags: [] });
    expect(() => zodBody(z.object({ a: z.string().optional() })).transform(undefined, { type: 'body' })).not.toThrow();
  });

  it('refuses unknown fields and wrong types with VALIDATION_FAILED listing every issue', () => {
    const error = (() => {
      try {
        zodBody(Body).transform({ name: 1, extra: true }, { type: 'body' });
      } catch (e) {
        return e as { code: string; details: { issues: { path: string; code: string }[] } };
      }
    })();
    expect(error?.code).toBe('VALIDATION_FAILED');
    expect(error?.details.issues.map((i) => i.code).sort()).toEqual(['invalid_type', 'unrecognized_keys']);
    expect(() => zodQuery(z.object({ limit: z.coerce.number() })).transform({ limit: '5', x: '1' }, { type: 'query' })).toThrow(/query/);
  });
});

describe('safeHeaderValue', () => {
  it('refuses CR, LF and NUL', () => {
    expect(safeHeaderValue('abc-123', 'x-request-id')).toBe('abc-123');
    for (const bad of ['a\r\nSet-Cookie: x', 'a\nb', 'a\0b']) expect(() => safeHeaderValue(bad, 'x')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
