import { Redis } from 'ioredis';
import { type RedisConnection, redisClientOptions } from '@plugboard/config';
import type { SocketHealth } from '@plugboard/contracts';
import { MemoryRateLimiterAdapter } from './memory-rate-limiter.adapter';
import { type RateCount, RateLimiterPort } from './rate-limiter.port';

export interface RedisRateLimiterOptions {
  connection: RedisConnection;
  /** Prefix of every counter key, e.g. `plugboard:ratelimit:`. */
  namespace: string;
  logger?: { warn(message: string): void; log(message: string): void };
}

/** INCR and the expiry in one script: a counter can never be left without a TTL. */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }
`;
/** A limiter that waits on Redis slows every request: give up quickly and count in memory. */
const COMMAND_TIMEOUT_MS = 250;

/**
 * Counters in Redis, shared by every gateway replica. While Redis is unreachable it counts
 * in memory instead (per replica, so limits are looser, never a 5xx) and says so once in the
 * log; the client keeps reconnecting and the shared counters are used again once it is back.
 */
export class RedisRateLimiterAdapter extends RateLimiterPort {
  readonly plug = 'redis';
  private readonly client: Redis;
  private readonly fallback = new MemoryRateLimiterAdapter();
  private readonly logger: NonNullable<RedisRateLimiterOptions['logger']>;
  private degraded = false;

  constructor(private readonly options: RedisRateLimiterOptions) {
    super();
    this.logger = options.logger ?? console;
    this.client = new Redis({
      ...redisClientOptions(options.connection),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
    });
    this.client.on('error', (error: Error) => this.markDegraded(error.message));
    this.client.on('ready', () => {
      if (!this.degraded) return;
      this.degraded = false;
      this.logger.log('rate limit counters are shared through Redis again');
    });
  }

  override async hit(bucket: string, windowMs: number): Promise<RateCount> {
    const window = Math.floor(Date.now() / windowMs);
    const key = `${this.options.namespace}${bucket}:${window}`;
    try {
      const [count, ttl] = (await this.client.eval(HIT_SCRIPT, 1, key, String(windowMs))) as [number, number];
      return { count, resetInMs: ttl > 0 ? ttl : windowMs };
    } catch (error) {
      this.markDegraded(error instanceof Error ? error.message : String(error));
      return this.fallback.hit(bucket, windowMs);
    }
  }

  /** `degraded` while counting in memory. */
  async health(): Promise<SocketHealth> {
    const up = !this.degraded && this.client.status === 'ready';
    return up
      ? { socket: 'rate-limit', plug: 'redis', status: 'up' }
      : { socket: 'rate-limit', plug: 'redis', status: 'degraded', detail: 'counting in memory until Redis is back' };
  }

  override async close(): Promise<void> {
    this.client.disconnect();
    await this.fallback.close();
  }

  private markDegraded(reason: string): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(`rate limit counters fall back to memory (Redis: ${reason})`);
  }
}
