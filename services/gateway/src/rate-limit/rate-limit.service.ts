import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, InjectConfig } from '@plugboard/config';
import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterPort } from './rate-limiter.port';

/** Limits are per minute. */
export const RATE_WINDOW_MS = 60_000;

/** The headers of every counted response. */
export const RATE_LIMIT_HEADERS = { limit: 'x-ratelimit-limit', remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset' } as const;

/**
 * The rate limits of the HTTP API: RATE_LIMIT_PER_KEY_PER_MINUTE for a request with a valid
 * key, RATE_LIMIT_PER_IP_PER_MINUTE per client address for every other one (no key, or a key
 * that failed), so guessing keys is limited too.
 *
 * Every counted response says where its caller stands, as Fastify's rate-limit plugin does,
 * so a client can pace itself instead of running into 429s: `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the window starts over).
 */
@Injectable()
export class RateLimitService implements OnApplicationShutdown {
  constructor(
    @Inject(RateLimiterPort) private readonly limiter: RateLimiterPort,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Counts the request and says so in its headers; throws RATE_LIMITED (429, with Retry-After in seconds) beyond the limit. */
  async enforce(request: FastifyRequest, reply: FastifyReply, keyId: string | undefined): Promise<void> {
    if (!this.config.RATE_LIMIT_ENABLED) return;
    const [bucket, limit] = keyId
      ? [`key:${keyId}`, this.config.RATE_LIMIT_PER_KEY_PER_MINUTE]
      : [`ip:${request.ip}`, this.config.RATE_LIMIT_PER_IP_PER_MINUTE];
    const { count, resetInMs } = await this.limiter.hit(bucket, RATE_WINDOW_MS);
    const resetSeconds = Math.max(1, Math.ceil(resetInMs / 1000));
    void reply.headers({
      [RATE_LIMIT_HEADERS.limit]: String(limit),
      [RATE_LIMIT_HEADERS.remaining]: String(Math.max(0, limit - count)),
      [RATE_LIMIT_HEADERS.reset]: String(resetSeconds),
    });
    if (count <= limit) return;
    void reply.header('retry-after', String(resetSeconds));
    throw new ServiceError(ErrorCode.RateLimited, `rate limit of ${limit} requests per minute exceeded`, { limit, retryAfterSeconds: resetSeconds });
  }

  onApplicationShutdown(): Promise<void> {
    return this.limiter.close();
  }
}
