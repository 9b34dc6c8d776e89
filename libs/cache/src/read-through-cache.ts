import { CachePort } from './cache.port';

/**
 * Cache-aside reads: answer from the cache, or load from the source and remember the result.
 * Concurrent misses of one key in this process share a single load, so a burst of requests
 * for an expired entry reaches the source once.
 */
export class ReadThroughCache {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly cache: CachePort) {}

  /**
   * The cached value of `key`, or `loader()`'s result, stored for `ttlSeconds`. A failing
   * loader rejects every waiting caller and nothing is stored, so the next call tries again.
   * null and undefined are returned but not stored: a cached null would read as a miss anyway.
   */
  async getOrLoad<T>(key: string, ttlSeconds: number, loader: () => Promise<T>): Promise<T> {
    const cached = await this.cache.get<T>(key);
    if (cached !== null) return cached;
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<T>;
    const load = this.load(key, ttlSeconds, loader).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, load);
    return load;
  }

  private async load<T>(key: string, ttlSeconds: number, loader: () => Promise<T>): Promise<T> {
    const value = await loader();
    if (value !== null && value !== undefined) await this.cache.set(key, value, ttlSeconds);
    return value;
  }
}
