/** Where and how to reach Redis, for one of its numbered databases. */
export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: boolean;
  db: number;
}

/** The REDIS_* settings shared by every Redis plug. */
export interface RedisSettings {
  REDIS_HOST: string;
  REDIS_PORT: number;
  REDIS_USERNAME?: string;
  REDIS_PASSWORD?: string;
  REDIS_TLS: boolean;
}

/** The REDIS_* settings for database `db` (REDIS_QUEUE_DB for the queues, REDIS_CACHE_DB for cache and counters). */
export function redisConnection(config: RedisSettings, db: number): RedisConnection {
  return { host: config.REDIS_HOST, port: config.REDIS_PORT, username: config.REDIS_USERNAME, password: config.REDIS_PASSWORD, tls: config.REDIS_TLS, db };
}

/**
 * What every Redis client of ours starts from (ioredis options): the address, the credentials
 * and TLS only when set, and reconnecting forever, backing off up to 5 s, so each plug
 * recovers by itself. How a client behaves while Redis is away is each plug's own choice.
 */
export function redisClientOptions({ host, port, username, password, tls, db }: RedisConnection) {
  return {
    host,
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls: {} } : {}),
    retryStrategy: (times: number) => Math.min(times * 500, 5_000),
  };
}
