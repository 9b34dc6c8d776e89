import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { PinnedDispatcherPool } from './pinned-dispatcher-pool';
import type { HostResolver } from './ssrf-guard';

/** A resolver answering from a table that the test may change; counts its calls. */
function resolverOf(table: Record<string, string>) {
  const calls: string[] = [];
  const resolve: HostResolver = async (hostname) => {
    calls.push(hostname);
    return [{ address: table[hostname], family: 4 }];
  };
  return { resolve, calls, table };
}

describe('PinnedDispatcherPool', () => {
  it('reuses one kept-alive connection and one DNS answer for the same vetted host', async () => {
    let connections = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // The name stands in for a public host; the allow-list lets its local address through.
    const { resolve, calls } = resolverOf({ 'receiver.example.test': '127.0.0.1' });
    const pool = new PinnedDispatcherPool({ resolve, allowedHosts: ['receiver.example.test'] });
    try {
      for (let i = 0; i < 10; i++) {
        const { target, dispatcher } = await pool.acquire(`http://receiver.example.test:${port}/hook`);
        const response = await request(target.url, { method: 'POST', body: '{}', dispatcher });
        expect(response.statusCode).toBe(204);
        await response.body.dump();
      }
      // undici may open a second connection while the first is finishing its answer, never one per request.
      expect(connections).toBeLessThanOrEqual(2);
      expect(calls).toEqual(['receiver.example.test']);
    } finally {
      await pool.close();
      server.close();
    }
  });

  it('vets DNS again once the TTL has passed, and refuses a host that moved to a private address', async () => {
    const { resolve, calls, table } = resolverOf({ 'moving.example.test': '93.184.216.34' });
    // No request is made: the factory only counts the dispatchers the pool would connect with.
    const create = vi.fn(() => new Agent());
    const pool = new PinnedDispatcherPool({ resolve, create, ttlMs: 20 });
    try {
      const first = await pool.acquire('https://moving.example.test/hook');
      expect(first.target.address).toBe('93.184.216.34');
      expect((await pool.acquire('https://moving.example.test/other')).dispatcher).toBe(first.dispatcher);
      expect(calls).toHaveLength(1);

      table['moving.example.test'] = '10.0.0.1';
      await new Promise((r) => setTimeout(r, 30));
      await expect(pool.acquire('https://moving.example.test/hook')).rejects.toMatchObject({ code: 'SSRF_BLOCKED', details: { address: '10.0.0.1' } });
      expect(calls).toHaveLength(2);
      expect(create).toHaveBeenCalledTimes(1);
    } finally {
      await pool.close();
    }
  });

  it('keeps one dispatcher per vetted address: a host that moves to another public address gets a new one', async () => {
    const { resolve, table } = resolverOf({ 'cdn.example.test': '93.184.216.34' });
    const create = vi.fn(() => new Agent());
    const pool = new PinnedDispatcherPool({ resolve, create, ttlMs: 20 });
    try {
      const before = await pool.acquire('https://cdn.example.test/');
      table['cdn.example.test'] = '93.184.216.35';
      await new Promise((r) => setTimeout(r, 30));
      const after = await pool.acquire('https://cdn.example.test/');
      expect(after.target.address).toBe('93.184.216.35');
      expect(after.dispatcher).not.toBe(before.dispatcher);
      expect(create).toHaveBeenCalledTimes(2);
    } finally {
      await pool.close();
    }
  });
});
