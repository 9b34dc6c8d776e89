import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, redisConnection } from '@plugboard/config';
import { HealthRegistry, ServiceLogger } from '@plugboard/service-kit';
import { MemoryRateLimiterAdapter } from './memory-rate-limiter.adapter';
import { RateLimitService } from './rate-limit.service';
import { RateLimiterPort } from './rate-limiter.port';
import { RedisRateLimiterAdapter } from './redis-rate-limiter.adapter';

/** Picks the counters' plug: Redis (shared by replicas) when REDIS_ENABLED=true, memory otherwise. */
export function createRateLimiter(config: AppConfig, logger?: ServiceLogger): RateLimiterPort {
  switch (config.REDIS_ENABLED) {
    case true:
      return new RedisRateLimiterAdapter({
        connection: redisConnection(config, config.REDIS_CACHE_DB),
        // Under the installation's prefix, like the queues, so installations sharing a Redis keep apart.
        namespace: `${config.QUEUE_PREFIX}:ratelimit:`,
        logger: logger && { warn: (m) => logger.warn(m, 'RateLimit'), log: (m) => logger.log(m, 'RateLimit') },
      });
    case false:
      return new MemoryRateLimiterAdapter();
    default:
      throw new Error(`Unsupported REDIS_ENABLED "${String(config.REDIS_ENABLED)}": expected true or false`);
  }
}

/** The rate limits of the gateway, enforced by the API key guard (see auth/). */
@Module({
  providers: [
    {
      provide: RateLimiterPort,
      inject: [APP_CONFIG, ServiceLogger, HealthRegistry],
      useFactory: (config: AppConfig, logger: ServiceLogger, health: HealthRegistry) => {
        const limiter = createRateLimiter(config, logger);
        if (limiter instanceof RedisRateLimiterAdapter) health.register('rate-limit', () => limiter.health());
        return limiter;
      },
    },
    RateLimitService,
  ],
  exports: [RateLimitService],
})
export class RateLimitModule {}
