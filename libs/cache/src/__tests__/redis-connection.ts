import type { RedisCacheOptions } from '../redis-cache.adapter';

/** Connection options of the cache plug for a `redis://[user:pass@]host:port[/db]` URL. */
export function redisConnection(url: string): RedisCacheOptions['connection'] {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.replace(/^\//, '') || '1');
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port || '6379'),
    username: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
    tls: parsed.protocol === 'rediss:',
    db,
  };
}
