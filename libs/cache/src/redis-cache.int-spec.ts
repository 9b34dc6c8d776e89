import { Redis } from 'ioredis';
import { backendReachable, testBackends, uniqueName } from '@plugboard/testing';
import { runCacheContract } from './__tests__/cache.contract';
import { redisConnection } from './__tests__/redis-connection';
import { CACHE_NAMESPACE, RedisCacheAdapter } from './redis-cache.adapter';

const connection = redisConnection(testBackends.redisUrl);
const quiet = { log: () => undefined, warn: () => undefined };
/** Everything this file writes starts with this tag inside the cache namespace, removed at the end. */
const fileTag = uniqueName('cache-spec');
let cacheCount = 0;

describe('RedisCacheAdapter on the shared Redis', () => {
  let reachable = false;
  // Skips every test when Redis is down; under CI=true backendReachable throws instead.
  beforeAll(async () => {
    reachable = await backendReachable('Redis', testBackends.redisUrl);
  });
  beforeEach(({ skip }) => skip(!reachable, `Redis at ${testBackends.redisUrl} is unreachable`));
  afterAll(async () => {
    if (!reachable) return;
    const cleaner = new RedisCacheAdapter({ connection, logger: quiet });
    await cleaner.deleteByPrefix(`${fileTag}:`);
    await cleaner.close();
  });

  runCacheContract('redis', () => new RedisCacheAdapter({ connection, namespace: `${CACHE_NAMESPACE}${fileTag}:${++cacheCount}:`, logger: quiet }), {
    bulkKeys: 1_200,
  });

  it('stores keys under its namespace with a Redis TTL', async () => {
    const namespace = `${CACHE_NAMESPACE}${fileTag}:raw:`;
    const cache = new RedisCacheAdapter({ connection, namespace, logger: quiet });
    const raw = new Redis({ ...connection, tls: connection.tls ? {} : undefined, lazyConnect: true });
    try {
      await cache.set('session:s1:status', { status: 'ready' }, 30);
      expect(JSON.parse((await raw.get(`${namespace}session:s1:status`)) ?? 'null')).toEqual({ status: 'ready' });
      const pttl = await raw.pttl(`${namespace}session:s1:status`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(30_000);
      // Text someone else wrote that is not JSON reads as a miss.
      await raw.set(`${namespace}garbage`, '{not json', 'EX', 30);
      expect(await cache.get('garbage')).toBeNull();
    } finally {
      await cache.close();
      raw.disconnect();
    }
  });

  it('uses the namespace plugboard:cache: by default', () => {
    expect(CACHE_NAMESPACE).toBe('plugboard:cache:');
  });
});
