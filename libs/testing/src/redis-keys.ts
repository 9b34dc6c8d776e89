import { testBackends } from './backends';

/** Deletes the keys matching `pattern`, with SCAN instead of KEYS: the shared Redis may hold many other runs' keys. */
export async function deleteRedisKeys(pattern: string, url = testBackends.redisUrl): Promise<void> {
  // Loaded on demand, as the PostgreSQL client is: most users of @plugboard/testing never touch Redis.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
