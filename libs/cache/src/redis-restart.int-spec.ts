import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, waitFor, type RedisServerHandle } from '@plugboard/testing';
import { ReadThroughCache } from './read-through-cache';
import { RedisCacheAdapter } from './redis-cache.adapter';

const hasRedisServer = (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, 'redis-server')));
if (!hasRedisServer && process.env.CI === 'true') throw new Error('redis-server is not installed, and CI=true forbids skipping the restart suite');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(port: number) {
  const logger = { log: vi.fn(), warn: vi.fn() };
  const sut = new RedisCacheAdapter({ connection: { host: '127.0.0.1', port, db: 0 }, logger });
  return { sut, logger };
}

async function healthStatus(cache: RedisCacheAdapter): Promise<string> {
  return (await cache.health()).status;
}

describe.skipIf(!hasRedisServer)('RedisCacheAdapter across a Redis outage (own server)', () => {
  const servers: RedisServerHandle[] = [];
  const caches: RedisCacheAdapter[] = [];
  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('keeps answering under load while Redis is stopped and restarted, then recovers by itself', { timeout: 90_000 }, async () => {
    const first = await startRedisServer();
    servers.push(first);
    const { sut, logger } = setup(first.port);
    caches.push(sut);
    const readThrough = new ReadThroughCache(sut);

    let phase: 'before' | 'outage' | 'after' = 'before';
    const completed = { before: 0, outage: 0, after: 0 };
    const errors: unknown[] = [];
    let stop = false;
    const deadline = Date.now() + 60_000;
    // Bounded in count and time; the sleep lets ioredis' reconnect timers run between calls.
    const load = (async () => {
      for (let i = 0; i < 50_000 && !stop && Date.now() < deadline; i++) {
        try {
          await sut.set(`load:${i % 50}`, { i }, 30);
          await sut.get(`load:${(i + 25) % 50}`);
          const value = await readThrough.getOrLoad(`rt:${i % 10}`, 30, async () => ({ loadedAt: i }));
          if (typeof value.loadedAt !== 'number') throw new Error('read-through returned no value');
          completed[phase]++;
        } catch (error) {
          errors.push(error);
        }
        await sleep(5);
      }
    })();

    await waitFor('traffic before the outage', () => completed.before >= 20, { timeoutMs: 20_000 });
    expect(await healthStatus(sut)).toBe('up');
    await sut.set('survivor', 'v', 30);
    expect(await sut.get('survivor')).toBe('v');

    await first.stop();
    phase = 'outage';
    const degraded = await waitFor('health degraded', async () => {
      const health = await sut.health();
      return health.status === 'degraded' ? health : undefined;
    });
    expect(degraded.detail).toMatch(/cache bypassed/);
    expect(await sut.get('survivor')).toBeNull();
    await waitFor('traffic during the outage', () => completed.outage >= 20, { timeoutMs: 20_000 });
    // A read-through call during the outage falls through to its loader every time.
    const loader = vi.fn(async () => 'from source');
    expect(await readThrough.getOrLoad('outage-probe', 30, loader)).toBe('from source');
    expect(await readThrough.getOrLoad('outage-probe', 30, loader)).toBe('from source');
    expect(loader).toHaveBeenCalledTimes(2);

    const second = await startRedisServer({ port: first.port });
    servers.push(second);
    await waitFor('health up again', async () => (await healthStatus(sut)) === 'up', { timeoutMs: 30_000, intervalMs: 200 });
    phase = 'after';
    await waitFor('a value set after recovery to be readable', async () => {
      await sut.set('after', { ok: true }, 30);
      return (await sut.get<{ ok: boolean }>('after'))?.ok;
    });
    const afterLoader = vi.fn(async () => 'from source');
    await readThrough.getOrLoad('after-probe', 30, afterLoader);
    expect(await readThrough.getOrLoad('after-probe', 30, afterLoader)).toBe('from source');
    expect(afterLoader).toHaveBeenCalledTimes(1);
    await waitFor('traffic after recovery', () => completed.after >= 20, { timeoutMs: 20_000 });

    stop = true;
    await load;
    expect(errors).toEqual([]);
    // Logged once each, not per failed command or reconnect attempt.
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toMatch(/unavailable/);
    expect(logger.log).toHaveBeenCalledTimes(1);
    expect(logger.log.mock.calls[0][0]).toMatch(/is back/);
  });

  it('empties its namespace when Redis is back, so no entry outlives an invalidation skipped meanwhile', { timeout: 60_000 }, async () => {
    const server = await startRedisServer({ appendOnly: true });
    servers.push(server);
    const { sut } = setup(server.port);
    caches.push(sut);
    const other = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
    try {
      await sut.set('session:a:info', { status: 'ready' }, 60);
      await other.set('not-the-cache', 'kept');
      await server.restart();
      // Lost while Redis restarts: the invalidation a status change would make.
      await sut.delete('session:a:info');
      await waitFor('health up again', async () => (await healthStatus(sut)) === 'up', { timeoutMs: 30_000, intervalMs: 200 });
      // The append-only file brought the entry back; the plug drops it before serving anything.
      expect(await sut.get('session:a:info')).toBeNull();
      expect(await other.get('not-the-cache')).toBe('kept');
      await sut.set('session:a:info', { status: 'stopped' }, 60);
      expect(await sut.get('session:a:info')).toEqual({ status: 'stopped' });
    } finally {
      other.disconnect();
    }
  });

  it('starts without Redis: misses, skips writes, says degraded, and connects once Redis appears', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const { sut, logger } = setup(port);
    caches.push(sut);
    expect(await sut.get('k')).toBeNull();
    await expect(sut.set('k', 1, 30)).resolves.toBeUndefined();
    await expect(sut.delete('k')).resolves.toBeUndefined();
    expect(await sut.deleteByPrefix('k')).toBe(0);
    const health = await sut.health();
    expect(health).toMatchObject({ socket: 'cache', plug: 'redis', status: 'degraded' });
    expect(health.detail).toMatch(/ECONNREFUSED/);

    servers.push(await startRedisServer({ port }));
    await waitFor('health up', async () => (await healthStatus(sut)) === 'up', { timeoutMs: 30_000, intervalMs: 200 });
    await sut.set('k', 1, 30);
    expect(await sut.get('k')).toBe(1);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.log).toHaveBeenCalledTimes(1);
  });
});
