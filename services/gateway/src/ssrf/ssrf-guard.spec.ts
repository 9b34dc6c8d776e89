import { createServer } from 'node:net';
import { Agent } from 'undici';
import { WebhookSender } from '../webhooks/webhook-sender';
import { WebhookSettings } from '../webhooks/webhook-settings';
import { blockedRange, embeddedIpv4 } from './blocked-ranges';
import { type HostResolver, assertPublicUrl, createPinnedDispatcher } from './ssrf-guard';
import { SsrfBlockedError } from './ssrf.errors';

/** A resolver that answers from a table: no real DNS, no network. */
function resolverOf(table: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve: HostResolver = async (hostname) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

describe('blockedRange', () => {
  it.each([
    '0.0.0.0', '0.1.2.3', '10.0.0.1', '10.255.255.255', '100.64.0.1', '100.127.255.255', '127.0.0.1', '127.1.2.3',
    '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.0.0.8', '192.0.2.1', '192.168.1.1', '198.18.0.1',
    '198.51.100.7', '203.0.113.9', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '::', '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'febf::1', 'fec0::1', 'ff02::1', '2001:db8::1', '2002:7f00:1::',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', '::127.0.0.1',
  ])('blocks %s', (address) => {
    expect(blockedRange(address)).toBeDefined();
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '100.63.255.255', '100.128.0.1', '172.32.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'allows public %s',
    (address) => {
      expect(blockedRange(address)).toBeUndefined();
    },
  );

  it('reads the IPv4 address inside mapped and NAT64 IPv6 addresses', () => {
    expect(embeddedIpv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIpv4('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(embeddedIpv4('64:ff9b::808:808')).toBe('8.8.8.8');
    expect(embeddedIpv4('2606:4700::1111')).toBeUndefined();
  });
});

describe('assertPublicUrl', () => {
  it.each(['http://169.254.169.254/', 'http://127.0.0.1:8080/', 'http://[::ffff:127.0.0.1]/', 'http://[::1]/', 'http://0/', 'http://2130706433/'])(
    'refuses %s without resolving anything',
    async (url) => {
      const { resolve, calls } = resolverOf({});
      await expect(assertPublicUrl(url, { resolve })).rejects.toMatchObject({ code: 'SSRF_BLOCKED', details: { reason: 'blocked_address' } });
      expect(calls).toEqual([]);
    },
  );

  it('refuses a host name resolving to 10.0.0.1, and one with any private address among public ones', async () => {
    const { resolve } = resolverOf({ 'internal.example.test': ['10.0.0.1'], 'mixed.example.test': ['93.184.216.34', '192.168.0.10'] });
    await expect(assertPublicUrl('https://internal.example.test/hook', { resolve })).rejects.toMatchObject({
      code: 'SSRF_BLOCKED',
      details: { host: 'internal.example.test', address: '10.0.0.1' },
    });
    await expect(assertPublicUrl('https://mixed.example.test/', { resolve })).rejects.toBeInstanceOf(SsrfBlockedError);
  });

  it('refuses other schemes, credentials and names that do not resolve', async () => {
    const { resolve } = resolverOf({});
    await expect(assertPublicUrl('file:///etc/passwd', { resolve })).rejects.toMatchObject({ details: { reason: 'scheme' } });
    await expect(assertPublicUrl('gopher://example.test/', { resolve })).rejects.toMatchObject({ details: { reason: 'scheme' } });
    await expect(assertPublicUrl('http://user:pw@example.test/', { resolve })).rejects.toMatchObject({ details: { reason: 'credentials' } });
    await expect(assertPublicUrl('http://nowhere.example.test/', { resolve })).rejects.toMatchObject({ details: { reason: 'unresolvable' } });
    await expect(assertPublicUrl('not a url', { resolve })).rejects.toMatchObject({ details: { reason: 'invalid_url' } });
  });

  it('returns the first vetted address to pin to, and lets SSRF_ALLOWED_HOSTS through', async () => {
    const { resolve } = resolverOf({ 'public.example.test': ['93.184.216.34'], 'receiver.test': ['127.0.0.1'] });
    await expect(assertPublicUrl('https://public.example.test/x', { resolve })).resolves.toMatchObject({ address: '93.184.216.34', family: 4 });
    await expect(assertPublicUrl('http://127.0.0.1:9/', { allowedHosts: ['127.0.0.1'] })).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(assertPublicUrl('http://receiver.test/', { resolve, allowedHosts: ['receiver.test'] })).resolves.toMatchObject({ address: '127.0.0.1' });
  });
});

describe('delivery through the guard', () => {
  const settings = new WebhookSettings(2_000, 1024, 1, []);
  const input = { id: 'msg_1', secrets: ['whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX'], body: '{}', headers: {} };

  it.each([
    ['http://169.254.169.254/latest/meta-data/'],
    ['http://127.0.0.1:8080/'],
    ['http://[::ffff:127.0.0.1]/'],
    ['http://internal.example.test/hook'],
  ])('refuses %s before any connection is made', async (url) => {
    const { resolve } = resolverOf({ 'internal.example.test': ['10.0.0.1'] });
    const dispatcher = vi.fn(() => new Agent());
    const sender = new WebhookSender(settings);
    sender.useSeams({ resolve, dispatcher });
    const result = await sender.send({ ...input, url });
    expect(result).toMatchObject({ statusCode: null, blocked: true });
    expect(dispatcher).not.toHaveBeenCalled();
  });

  it('connects to the vetted address, not to what DNS says afterwards', async () => {
    // A local server stands in for the vetted public address; the name "moves" to 10.0.0.1 after the check.
    const seen: string[] = [];
    const server = createServer((socket) => {
      socket.once('data', (chunk) => {
        seen.push(chunk.toString().split('\r\n')[0]);
        socket.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const dispatcher = createPinnedDispatcher({ url: new URL(`http://rebind.example.test:${port}/hook`), hostname: 'rebind.example.test', address: '127.0.0.1', family: 4 });
      const { request } = await import('undici');
      const response = await request(`http://rebind.example.test:${port}/hook`, { method: 'POST', body: '{}', dispatcher });
      expect(response.statusCode).toBe(204);
      await response.body.dump();
      await dispatcher.close();
      expect(seen).toEqual(['POST /hook HTTP/1.1']);
    } finally {
      server.close();
    }
  });
});
