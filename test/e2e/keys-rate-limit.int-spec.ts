import { backendReachable, freePort, testBackends, uniqueName } from '@plugboard/testing';
import { MASTER_KEY, type TestGateway, startTestGateway } from './keys-gateway';

/** Waits out the end of the current minute when little of it is left, so a test's requests share one fixed window. */
async function freshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8_000) await new Promise((r) => setTimeout(r, left + 50));
}

/** The rate-limit headers of an answer, as numbers. */
function rateHeaders(response: { headers: Headers }): { limit: number; remaining: number; reset: number } {
  const read = (name: string) => Number(response.headers.get(`x-ratelimit-${name}`));
  return { limit: read('limit'), remaining: read('remaining'), reset: read('reset') };
}

function redisEnv(prefix: string, url = testBackends.redisUrl): Record<string, string> {
  const { hostname, port } = new URL(url);
  return { REDIS_ENABLED: 'true', REDIS_HOST: hostname, REDIS_PORT: port, QUEUE_PREFIX: prefix };
}

describe('rate limits over HTTP (in-process gateways)', () => {
  const gateways: TestGateway[] = [];
  afterAll(() => Promise.all(gateways.map((g) => g.handle.close())));

  const start = async (env: Record<string, string>) => {
    const gw = await startTestGateway({ RATE_LIMIT_PER_KEY_PER_MINUTE: '5', RATE_LIMIT_PER_IP_PER_MINUTE: '3', ...env });
    gateways.push(gw);
    return gw;
  };

  it('429 RATE_LIMITED with Retry-After per IP without a key and per key with one; /health is never limited', async () => {
    const gw = await start({});
    await freshWindow();
    const anonymous = [];
    for (let i = 0; i < 4; i++) anonymous.push(await gw.call('GET', '/api/keys', { key: i % 2 ? 'pb_wrong' : undefined }));
    expect(anonymous.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    const limited = anonymous[3];
    expect(limited.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String), details: { limit: 3, retryAfterSeconds: expect.any(Number) } } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(rateHeaders(anonymous[0])).toEqual({ limit: 3, remaining: 2, reset: expect.any(Number) });
    expect(rateHeaders(limited)).toEqual({ limit: 3, remaining: 0, reset: Number(limited.headers.get('retry-after')) });
    expect(rateHeaders(limited).reset).toBeGreaterThanOrEqual(1);

    const keyed = [];
    for (let i = 0; i < 6; i++) keyed.push(await gw.call('GET', '/api/keys', { key: MASTER_KEY }));
    expect(keyed.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    // Counted per key, apart from the address's count above.
    expect(keyed.map((r) => rateHeaders(r).remaining)).toEqual([4, 3, 2, 1, 0, 0]);

    for (let i = 0; i < 8; i++) {
      const health = await gw.call('GET', '/health/live');
      expect(health.status).toBe(200);
      expect(health.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('shares the counters between two gateways through Redis', async ({ skip }) => {
    skip(!(await backendReachable('Redis', testBackends.redisUrl)), 'Redis is unreachable');
    const env = redisEnv(uniqueName('pbrl'));
    const [a, b] = [await start(env), await start(env)];
    await freshWindow();
    const statuses: number[] = [];
    // Anonymous requests count per IP: both gateways see 127.0.0.1, limit 3 in total.
    for (const gw of [a, b, a, b]) statuses.push((await gw.call('GET', '/api/keys')).status);
    // The first hits may be counted in memory while a client is still connecting; allow one extra.
    if (statuses[3] !== 429) statuses.push((await a.call('GET', '/api/keys')).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
  });

  it('keeps serving with Redis unreachable (in-memory counters, never a 5xx)', async () => {
    const gw = await start(redisEnv(uniqueName('pbrl'), `redis://127.0.0.1:${await freePort()}`));
    await freshWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await gw.call('GET', '/api/keys', { key: MASTER_KEY })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });
});
