import type { SocketHealth } from '@plugboard/contracts';
import { type RedisServerHandle, backendReachable, startRedisServer, testBackends, waitFor } from '@plugboard/testing';
import { type EmbeddedStack as Stack, call, startEmbeddedStack } from './support/embedded-stack';

/** The gateway's cache socket as /api/infra/status reports it. */
async function cacheStatus(stack: Stack): Promise<SocketHealth['status'] | undefined> {
  const { body } = await call(stack, 'GET', '/api/infra/status');
  const instance = body.services?.gateway?.instances?.[0] as { sockets: SocketHealth[] } | undefined;
  return instance?.sockets.find((s) => s.socket === 'cache')?.status;
}

// The cache is an optimisation: losing its Redis must never cost a request, and it must come back by itself.
describe('gateway: the cache Redis stops and restarts under load', () => {
  let reachable = false;
  let redis: RedisServerHandle | undefined;
  let stack: Stack | undefined;

  beforeAll(async () => {
    // Our own redis-server (never the shared one); the check only tells whether redis-server can run here.
    reachable = await backendReachable('Redis', testBackends.redisUrl);
    if (!reachable) return;
    redis = await startRedisServer();
    stack = await startEmbeddedStack({
      REDIS_ENABLED: 'true',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      // The Redis rate limiter stays on, with limits this loop never reaches.
      RATE_LIMIT_PER_KEY_PER_MINUTE: '1000000',
      HEALTH_TIMEOUT_MS: '1000',
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('answers every request without a 5xx, shows the cache degraded while Redis is down and up again after', async ({ skip }) => {
    if (!reachable || !stack || !redis) return skip();
    const s = stack;
    const { status, body: session } = await call(s, 'POST', '/api/sessions', { name: 'redis-restart' });
    expect(status).toBe(201);
    // A session no load touches: its detail reads show when the cache answers and when the worker does.
    const { body: quiet } = await call(s, 'POST', '/api/sessions', { name: 'redis-restart-quiet', start: false });
    const bus = vi.spyOn(s.bus, 'request');
    const quietLoadsAfter = async (reads: number) => {
      const before = bus.mock.calls.filter(([subject, payload]) => subject === 'sessions.get' && (payload as { id: string }).id === quiet.id).length;
      for (let i = 0; i < reads; i++) expect((await call(s, 'GET', `/api/sessions/${quiet.id}`)).body).toMatchObject({ id: quiet.id });
      return bus.mock.calls.filter(([subject, payload]) => subject === 'sessions.get' && (payload as { id: string }).id === quiet.id).length - before;
    };
    await waitFor('the cache up', async () => (await cacheStatus(s)) === 'up', { timeoutMs: 10_000 });

    const failures: string[] = [];
    let answered = 0;
    let loading = true;
    const paths = [`/api/sessions/${session.id}/status`, `/api/sessions/${session.id}`, '/api/sessions', '/api/keys'];
    // A bounded loop: a few workers, each waiting for its answer before the next request.
    const load = Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let n = 0; loading && n < 100_000; n++) {
          const path = paths[(n + worker) % paths.length];
          const { status: code } = await call(s, 'GET', path);
          answered++;
          if (code !== 200) failures.push(`${code} GET ${path}`);
        }
      }),
    );

    await waitFor('some load before the stop', () => answered >= 200, { timeoutMs: 20_000 });
    await redis.stop();
    await waitFor('the cache degraded', async () => (await cacheStatus(s)) === 'degraded', { timeoutMs: 20_000, intervalMs: 200 });
    const whileDown = answered;
    await waitFor('load while Redis is down', () => answered >= whileDown + 200, { timeoutMs: 20_000 });
    // Every read falls through to the worker: nothing can be stored.
    expect(await quietLoadsAfter(3)).toBe(3);

    // Same port, fresh dir: a restarted Redis that lost its data, the worst case for a cache.
    redis = await startRedisServer({ port: redis.port });
    await waitFor('the cache up again', async () => (await cacheStatus(s)) === 'up', { timeoutMs: 30_000, intervalMs: 200 });
    expect(await quietLoadsAfter(3)).toBe(1);
    const afterUp = answered;
    await waitFor('load after the restart', () => answered >= afterUp + 200, { timeoutMs: 20_000 });
    loading = false;
    await load;

    expect(failures).toEqual([]);
    expect((await call(s, 'GET', `/api/sessions/${session.id}/status`)).body).toEqual({ id: session.id, status: expect.any(String) });
  }, 120_000);
});
