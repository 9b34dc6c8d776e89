import { type AppConfig, redisConnection } from '@plugboard/config';
import type { CacheLogger } from './cache-logger';
import { CacheError } from './cache.errors';
import type { CachePort } from './cache.port';
import { MemoryCacheAdapter } from './memory-cache.adapter';
import { RedisCacheAdapter } from './redis-cache.adapter';

/** The config variables the cache socket reads; the validated `AppConfig` fits as it is. */
export type CacheConfig = Pick<
  AppConfig,
  'REDIS_ENABLED' | 'REDIS_HOST' | 'REDIS_PORT' | 'REDIS_USERNAME' | 'REDIS_PASSWORD' | 'REDIS_TLS' | 'REDIS_CACHE_DB' | 'QUEUE_PREFIX'
>;

/** Picks the cache plug from `REDIS_ENABLED`; anything but a boolean throws, never a silent default. */
export function createCache(config: CacheConfig, logger?: CacheLogger): CachePort {
  switch (config.REDIS_ENABLED) {
    case false:
      return new MemoryCacheAdapter();
    case true:
      return new RedisCacheAdapter({
        connection: redisConnection(config, config.REDIS_CACHE_DB),
        // Under the installation's prefix, like the queues: installations sharing a Redis must not share `sessions:list`.
        namespace: `${config.QUEUE_PREFIX}:cache:`,
        logger,
      });
    default:
      throw CacheError.invalid(`Unsupported REDIS_ENABLED "${String(config.REDIS_ENABLED)}": expected true or false`);
  }
}
