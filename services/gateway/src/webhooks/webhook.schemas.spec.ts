import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { CONNECTION_HEADERS, CreateWebhookSchema, UpdateWebhookSchema, parseWebhookInput } from './webhook.schemas';

const URL = 'https://example.com/hook';
const headersIssues = (headers: Record<string, string>) => {
  const result = CreateWebhookSchema.safeParse({ url: URL, events: ['*'], headers });
  return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
};

/** Values at the edges of what undici sends, and some beyond. */
const SENDABLE_VALUES = ['', 'Bearer abc.def', 'a b', '~!"#$%&()*+,;<=>?@[\\]^{|}', 'caf\u00e9', '\u00ff', 'x'.repeat(4096)];
const UNSENDABLE_VALUES = ['a\r\nb: c', 'a\nb', 'a\u0000b', 'del\u007f', 'euro \u20ac', 'emoji \u{1f600}'];

describe('webhook custom headers', () => {
  it('keeps sendable headers, names lowercased', () => {
    expect(CreateWebhookSchema.parse({ url: URL, events: ['*'], headers: { 'X-Tenant': 'acme', Authorization: 'Bearer t' } }).headers).toEqual({
      'x-tenant': 'acme',
      authorization: 'Bearer t',
    });
  });

  it.each([...CONNECTION_HEADERS, 'Keep-Alive', 'TE', 'Expect'])('refuses the connection header %s, naming it', (name) => {
    expect(headersIssues({ [name]: 'x' })).toEqual([
      { path: `headers.${name}`, message: `"${name}" belongs to the connection, which the HTTP client manages: it cannot be sent` },
    ]);
  });

  it.each(['Webhook-Signature', 'content-type', 'User-Agent', 'webhook-id', 'webhook-timestamp'])('refuses to override our own %s', (name) => {
    expect(headersIssues({ [name]: 'x' })).toEqual([{ path: `headers.${name}`, message: `"${name}" is set by Plugboard and cannot be overridden` }]);
  });

  it.each(['x tenant', 'x:tenant', 'caf\u00e9', '', 'x'.repeat(129)])('refuses the name %j', (name) => {
    expect(headersIssues({ [name]: 'x' })).toEqual([{ path: `headers.${name}`, message: expect.stringContaining('is not an HTTP header name') }]);
  });

  it.each(SENDABLE_VALUES)('accepts the value %j', (value) => {
    expect(headersIssues({ 'x-a': value })).toEqual([]);
  });

  // A tab undici would send, but the schema refuses every control character; the length is our own cap.
  it.each([...UNSENDABLE_VALUES, 'tab\there', 'x'.repeat(4097)])('refuses the value %j, naming the header', (value) => {
    expect(headersIssues({ 'x-a': value })).toEqual([{ path: 'headers.x-a', message: expect.stringMatching(/^the value of "x-a" must be/) }]);
  });

  it('lists every bad header at once, and at most 32 headers', () => {
    expect(headersIssues({ upgrade: 'h2c', 'x-ok': 'fine', 'x-bad': 'a\r\n' }).map((issue) => issue.path)).toEqual(['headers.upgrade', 'headers.x-bad']);
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`x-h${i}`, 'v']));
    expect(headersIssues(many)).toEqual([{ path: 'headers', message: 'at most 32 custom headers' }]);
  });

  it('applies the same rules to an update, as 400 VALIDATION_FAILED', () => {
    const update = () => parseWebhookInput(UpdateWebhookSchema, { headers: { 'Transfer-Encoding': 'chunked' } }, 'webhook changes');
    expect(update).toThrow(ServiceError);
    try {
      update();
    } catch (error) {
      expect(error).toMatchObject({
        code: ErrorCode.ValidationFailed,
        details: { issues: [{ path: 'headers.Transfer-Encoding', message: expect.stringContaining('"Transfer-Encoding" belongs to the connection') }] },
      });
    }
  });
});

describe('webhook custom headers against undici', () => {
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = async (headers: Record<string, string>) => {
    const response = await request(origin, { method: 'POST', body: '{}', headers });
    await response.body.dump();
    return response.statusCode;
  };

  it('sends every value the schema accepts', async () => {
    for (const value of SENDABLE_VALUES) await expect(send({ 'x-a': value })).resolves.toBe(200);
  });

  it.each(['transfer-encoding', 'keep-alive', 'upgrade', 'expect'])('is refused by undici itself: %s', async (name) => {
    await expect(send({ [name]: 'x' })).rejects.toThrow(/header/);
  });

  it.each(UNSENDABLE_VALUES)('is refused by undici itself: the value %j', async (value) => {
    await expect(send({ 'x-a': value })).rejects.toThrow(/header/);
  });
});
