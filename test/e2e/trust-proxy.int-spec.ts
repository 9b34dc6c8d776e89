import { MASTER_KEY, type TestGateway, startTestGateway } from './keys-gateway';

/** Only a header: every request still comes from 127.0.0.1, the "proxy" of these tests. */
const FROM_CLIENT = { 'x-forwarded-for': '203.0.113.7' };

describe('TRUST_PROXY: the client address behind a proxy (in-process gateways)', () => {
  let proxied: TestGateway;
  let direct: TestGateway;

  beforeAll(async () => {
    [proxied, direct] = await Promise.all([startTestGateway({ TRUST_PROXY: '127.0.0.1' }), startTestGateway({})]);
  }, 60_000);
  afterAll(() => Promise.all([proxied?.handle.close(), direct?.handle.close()]));

  /** An admin key usable only from `ipRanges`, created with the master key (which has no range). */
  const keyFor = async (gw: TestGateway, ipRanges: string[]) => {
    const { status, body } = await gw.call('POST', '/api/keys', { key: MASTER_KEY, body: { name: `from ${ipRanges[0]}`, role: 'admin', ipRanges } });
    expect(status, JSON.stringify(body)).toBe(201);
    return body.key as string;
  };

  it('takes the client from X-Forwarded-For sent by a trusted proxy: IP ranges match it', async () => {
    const client = await keyFor(proxied, ['203.0.113.0/24']);
    const other = await keyFor(proxied, ['198.51.100.0/24']);
    expect((await proxied.call('GET', '/api/keys', { key: client, headers: FROM_CLIENT })).status).toBe(200);
    const refused = await proxied.call('GET', '/api/keys', { key: other, headers: FROM_CLIENT });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });

  it('stops at the first untrusted hop: a client cannot prepend an address of its choice', async () => {
    const spoofed = await keyFor(proxied, ['198.51.100.0/24']);
    const chain = { 'x-forwarded-for': '198.51.100.9, 203.0.113.7' };
    expect((await proxied.call('GET', '/api/keys', { key: spoofed, headers: chain })).status).toBe(403);
  });

  it('records the client address in the audit log', async () => {
    const { body } = await proxied.call('POST', '/api/keys', { key: MASTER_KEY, body: { name: 'audited', role: 'viewer' }, headers: FROM_CLIENT });
    const audit = await proxied.call('GET', '/api/audit?action=key.created', { key: MASTER_KEY });
    expect(audit.body.items.find((item: { target: string }) => item.target === body.id)).toMatchObject({ ip: '203.0.113.7' });
  });

  it('ignores X-Forwarded-For without TRUST_PROXY', async () => {
    const client = await keyFor(direct, ['203.0.113.0/24']);
    const refused = await direct.call('GET', '/api/keys', { key: client, headers: FROM_CLIENT });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    const { body } = await direct.call('POST', '/api/keys', { key: MASTER_KEY, body: { name: 'audited', role: 'viewer' }, headers: FROM_CLIENT });
    const audit = await direct.call('GET', '/api/audit?action=key.created', { key: MASTER_KEY });
    expect(audit.body.items.find((item: { target: string }) => item.target === body.id).ip).not.toBe('203.0.113.7');
  });
});
