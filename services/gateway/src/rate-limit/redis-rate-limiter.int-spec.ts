import { backendReachable, startRedisServer, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { RedisRateLimiterAdapter } from './redis-rate-limiter.adapter';

const WINDOW_MS = 60_000;
const quiet = { warn: () => undefined, log: () => undefined };

function limiterFor(url: string, namespace: string): RedisRateLimiterAdapter {
  const { hostname, port } = new URL(url);
  return new RedisRateLimiterAdapter({ connection: { host: hostname, port: Number(port), db: 0 }, namespace, logger: quiet });
}

const up = (limiter: RedisRateLimiterAdapter) => waitFor('Redis ready', async () => (await limiter.health()).status === 'up');

describe('RedisRateLimiterAdapter (real Redis)', () => {
  let reachable = false;
  const limiters: RedisRateLimiterAdapter[] = [];

  beforeAll(async () => {
    reachable = await backendReachable('Redis', testBackends.redisUrl);
  });
  beforeEach(({ skip }) => skip(!reachable, `Redis at ${testBackends.redisUrl} is unreachable`));
  afterAll(() => Promise.all(limiters.map((l) => l.close())));

  it('shares the counters of one bucket between two instances (two gateway replicas)', async () => {
    const namespace = `${uniqueName('rl')}:`;
    const [a, b] = [limiterFor(testBackends.redisUrl, namespace), limiterFor(testBackends.redisUrl, namespace)];
    limiters.push(a, b);
    await Promise.all([up(a), up(b)]);
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) counts.push((await (i % 2 ? b : a).hit('key:k1', WINDOW_MS)).count);
    const rollover = counts.findIndex((count, i) => i > 0 && count < counts[i - 1]);
    // A window edge may fall inside the loop: the counts then restart at 1, still shared.
    const tail = rollover === -1 ? counts : counts.slice(rollover);
    expect(tail).toEqual(tail.map((_, i) => tail[0] + i));
    expect((await a.hit('key:other', WINDOW_MS)).count).toBe(1);
    const { resetInMs } = await b.hit('key:k1', WINDOW_MS);
    expect(resetInMs).toBeGreaterThan(0);
    expect(resetInMs).toBeLessThanOrEqual(WINDOW_MS);
  });

  it('falls back to memory while its Redis is down, never throwing, and shares again once it is back', async () => {
    let server = await startRedisServer();
    const namespace = `${uniqueName('rl')}:`;
    try {
      const limiter = limiterFor(server.url, namespace);
      limiters.push(limiter);
      await up(limiter);
      await limiter.hit('ip:1', WINDOW_MS);

      await server.stop();
      await waitFor('degraded', async () => (await limiter.health()).status === 'degraded');
      await expect(limiter.hit('ip:1', WINDOW_MS)).resolves.toMatchObject({ count: expect.any(Number) });

      server = await startRedisServer({ port: server.port });
      await up(limiter);
      const shared = limiterFor(server.url, namespace);
      limiters.push(shared);
      await up(shared);
      const first = await limiter.hit('ip:after', WINDOW_MS);
      const second = await shared.hit('ip:after', WINDOW_MS);
      // Counted in the restarted Redis, shared by both (or a fresh window began in between).
      expect([first.count + 1, 1]).toContain(second.count);
    } finally {
      await server.stop();
    }
  }, 30_000);

  it('answers from memory when Redis was never reachable', async () => {
    const limiter = limiterFor('redis://127.0.0.1:1', `${uniqueName('rl')}:`);
    limiters.push(limiter);
    const first = await limiter.hit('b', WINDOW_MS);
    const second = await limiter.hit('b', WINDOW_MS);
    expect([first.count + 1, 1]).toContain(second.count);
    expect((await limiter.health()).status).toBe('degraded');
  });
});
