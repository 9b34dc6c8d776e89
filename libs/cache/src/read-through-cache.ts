import { CachePort } from './cache.port';

/** Seconds to keep a loaded value, or a function of the value (e.g. until a QR code expires). */
export type CacheTtl<T> = number | ((value: T) => number);

/**
 * Cache-aside reads: answer from the cache, or load from the source and remember the result.
 * Concurrent misses of one key in this process share a single load, so a burst of requests
 * for an expired entry reaches the source once. Writes through `put` and `invalidate*`
 * supersede the loads under way, which could otherwise store what the change made stale.
 */
export class ReadThroughCache {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly cache: CachePort) {}

  /**
   * The cached value of `key`, or `loader()`'s result, stored for `ttl` seconds. A failing
   * loader rejects every waiting caller and nothing is stored, so the next call tries again.
   * null and undefined are returned but not stored: a cached null would read as a miss anyway;
   * so is a value whose TTL function answers 0 or less (it is stale already).
   */
  async getOrLoad<T>(key: string, ttl: CacheTtl<T>, loader: () => Promise<T>): Promise<T> {
    const cached = await this.cache.get<T>(key);
    if (cached !== null) return cached;
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<T>;
    return this.load(key, ttl, loader);
  }

  /** Stores a value known to be current (e.g. from an event), replacing what a load under way would store. */
  async put(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.inFlight.delete(key);
    await this.cache.set(key, value, ttlSeconds);
  }

  /** Drops `key`; a load under way still answers its callers but stores nothing, and the next read loads afresh. */
  async invalidate(key: string): Promise<void> {
    this.inFlight.delete(key);
    await this.cache.delete(key);
  }

  /** `invalidate` for every key starting with `prefix`. */
  async invalidatePrefix(prefix: string): Promise<void> {
    for (const key of this.inFlight.keys()) {
      if (key.startsWith(prefix)) this.inFlight.delete(key);
    }
    await this.cache.deleteByPrefix(prefix);
  }

  private load<T>(key: string, ttl: CacheTtl<T>, loader: () => Promise<T>): Promise<T> {
    const current = () => this.inFlight.get(key) === load;
    const load = (async () => {
      const value = await loader();
      // No longer the key's load: superseded by a change, so the value may predate it.
      if (current()) await this.store(key, value, ttl);
      return value;
    })().finally(() => {
      if (current()) this.inFlight.delete(key);
    });
    this.inFlight.set(key, load);
    return load;
  }

  private async store<T>(key: string, value: T, ttl: CacheTtl<T>): Promise<void> {
    if (value === null || value === undefined) return;
    if (typeof ttl === 'number') return this.cache.set(key, value, ttl);
    const seconds = ttl(value);
    if (seconds > 0) await this.cache.set(key, value, seconds);
  }
}
