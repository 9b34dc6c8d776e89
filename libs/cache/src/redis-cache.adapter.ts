import { performance } from 'node:perf_hooks';
import { Redis, ReplyError } from 'ioredis';
import { type RedisConnection, redisClientOptions } from '@plugboard/config';
import type { SocketHealth } from '@plugboard/contracts';
import { checkKey, checkPrefix, decodeValue, encodeValue, ttlMs } from './cache-codec';
import type { CacheLogger } from './cache-logger';
import { CachePort } from './cache.port';

export interface RedisCacheOptions {
  connection: RedisConnection;
  /** Prefix of every key this plug touches. Default `plugboard:cache:`. */
  namespace?: string;
  logger?: CacheLogger;
}

/** Keeps cache keys apart from the queues and anything else sharing the Redis. */
export const CACHE_NAMESPACE = 'plugboard:cache:';
/** A cache read that takes longer than this is slower than the source it saves: give up. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;
const HEALTH_TIMEOUT_MS = 1_000;
/** Keys examined per SCAN page; each page's matches go in one UNLINK. */
const SCAN_COUNT = 500;
/** Errors Redis itself answers (OOM, WRONGTYPE) are logged at most this often. */
const REPLY_ERROR_RELOG_MS = 60_000;

/**
 * The Redis plug (ioredis). It fails fast instead of queueing while Redis is away: reads
 * miss, writes are skipped, health says `degraded`, and the client reconnects forever in
 * the background. The loss and the recovery are logged once each, not per command.
 *
 * Back from a loss, it first empties its namespace: the writes and deletes skipped meanwhile
 * (a status event's update, a changed session's invalidation) would otherwise leave entries
 * that contradict the source until their TTL, and a cache may always start empty.
 */
export class RedisCacheAdapter extends CachePort {
  readonly plug = 'redis';
  private readonly client: Redis;
  private readonly namespace: string;
  private readonly logger: CacheLogger;
  private readonly address: string;
  private firstConnect?: Promise<void>;
  /** Why Redis cannot be used, while that lasts. */
  private lostReason?: string;
  private replyErrorLoggedAt = 0;
  private closing?: Promise<void>;
  /** Emptying the namespace after a loss: commands wait for it. */
  private emptying?: Promise<void>;

  constructor(options: RedisCacheOptions) {
    super();
    const { host, port, db } = options.connection;
    this.namespace = options.namespace ?? CACHE_NAMESPACE;
    this.logger = options.logger ?? console;
    this.address = `${host}:${port}/${db}`;
    this.client = new Redis({
      ...redisClientOptions(options.connection),
      // Nothing connects until the first use, so building the plug has no side effects.
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
    this.client.on('error', (error: Error) => this.markLost(error.message));
    this.client.on('close', () => this.markLost(this.lostReason ?? 'connection closed'));
    this.client.on('ready', () => this.markRecovered());
  }

  override async get<T>(key: string): Promise<T | null> {
    checkKey(key);
    const json = await this.run(() => this.client.get(this.namespace + key), null);
    return json === null ? null : decodeValue<T>(json);
  }

  override async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    checkKey(key);
    const json = encodeValue(key, value);
    const ms = ttlMs(key, ttlSeconds);
    await this.run(() => this.client.set(this.namespace + key, json, 'PX', ms), undefined);
  }

  override async delete(key: string): Promise<void> {
    checkKey(key);
    await this.run(() => this.client.unlink(this.namespace + key), 0);
  }

  /** SCAN page by page (never KEYS, which blocks Redis); 0 when Redis is away or goes away meanwhile. */
  override async deleteByPrefix(prefix: string): Promise<number> {
    checkPrefix(prefix);
    return this.run(() => this.unlinkMatching(this.namespace + prefix), 0);
  }

  override async health(): Promise<SocketHealth> {
    const degraded = (reason: string): SocketHealth => ({
      socket: 'cache',
      plug: this.plug,
      status: 'degraded',
      detail: `redis ${this.client.status}: ${reason}; cache bypassed`,
    });
    if (this.closing) return { socket: 'cache', plug: this.plug, status: 'down', detail: 'closed' };
    await within(this.connectOnce(), HEALTH_TIMEOUT_MS);
    if (this.client.status !== 'ready') return degraded(this.lostReason ?? 'not connected yet');
    const started = performance.now();
    try {
      // Bounded by the command timeout.
      await this.client.ping();
      this.markRecovered();
      return { socket: 'cache', plug: this.plug, status: 'up', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      this.markLost(messageOf(error));
      return degraded(messageOf(error));
    }
  }

  override close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      // Also cancels a pending reconnect.
      this.client.disconnect();
    }
  }

  /** Runs one command; any failure becomes `fallback`, so callers never see a lost backend. */
  private async run<R>(command: () => Promise<R>, fallback: R): Promise<R> {
    if (this.closing) return fallback;
    await this.connectOnce();
    await this.emptying;
    try {
      const result = await command();
      this.markRecovered();
      return result;
    } catch (error) {
      this.commandFailed(error);
      return fallback;
    }
  }

  /** The first use waits for the first connection attempt, so a fresh process does not start with misses. */
  private connectOnce(): Promise<void> {
    this.firstConnect ??= this.client.status === 'wait' ? this.client.connect().catch(() => undefined) : Promise.resolve();
    return this.firstConnect;
  }

  private commandFailed(error: unknown): void {
    if (error instanceof ReplyError) {
      // Redis answered, so the connection is fine; e.g. OOM under maxmemory. Rate-limited, not a loss.
      const now = Date.now();
      if (now - this.replyErrorLoggedAt >= REPLY_ERROR_RELOG_MS) {
        this.replyErrorLoggedAt = now;
        this.logger.warn(`cache: Redis at ${this.address} refused a command: ${messageOf(error)}`);
      }
      return;
    }
    // While disconnected every command fails with a generic "not writeable"; the connection events already tell why.
    if (this.client.status === 'ready') this.markLost(messageOf(error));
  }

  private markLost(reason: string): void {
    if (this.closing) return;
    const wasUp = this.lostReason === undefined;
    this.lostReason = reason;
    if (wasUp) this.logger.warn(`cache: Redis at ${this.address} unavailable (${reason}); reads fall through to the source until it is back`);
  }

  private markRecovered(): void {
    if (this.lostReason === undefined || this.closing) return;
    this.lostReason = undefined;
    this.logger.log(`cache: Redis at ${this.address} is back; emptying ${this.namespace}* first`);
    // Failing, it is lost again: the next recovery empties it then.
    this.emptying = this.unlinkMatching(this.namespace)
      .then(() => undefined, (error: unknown) => this.markLost(messageOf(error)))
      .finally(() => (this.emptying = undefined));
  }

  /** Unlinks every key starting with `prefix` (the namespace included), a SCAN page at a time; how many. */
  private async unlinkMatching(prefix: string): Promise<number> {
    const pattern = `${escapeGlob(prefix)}*`;
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (keys.length > 0) removed += await this.client.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  }
}

/** SCAN MATCH is a glob: the prefix must match literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Waits for `promise` at most `ms`; never rejects. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
