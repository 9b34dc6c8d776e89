import type { SocketHealth } from '@plugboard/contracts';
import { checkKey, checkPrefix, decodeValue, encodeValue, ttlMs } from './cache-codec';
import { CachePort } from './cache.port';

export interface MemoryCacheOptions {
  /** Above this many entries the least recently written one is dropped. Default 10 000. */
  maxEntries?: number;
  /** How often expired entries nobody reads again are removed. Default 30 s. */
  sweepIntervalMs?: number;
  /** Clock in milliseconds; tests pass their own. */
  now?: () => number;
}

interface Entry {
  json: string;
  expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

/**
 * The in-memory plug of one process. Values are kept as JSON text, so a reader gets a copy,
 * exactly as from Redis. The Map's insertion order doubles as write order for eviction.
 */
export class MemoryCacheAdapter extends CachePort {
  readonly plug = 'memory';
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(options: MemoryCacheOptions = {}) {
    super();
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
    // unref: a cache timer must never keep the process alive.
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS).unref();
  }

  /** Entries held right now, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  override async get<T>(key: string): Promise<T | null> {
    checkKey(key);
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return decodeValue<T>(entry.json);
  }

  override async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    checkKey(key);
    const entry = { json: encodeValue(key, value), expiresAt: this.now() + ttlMs(key, ttlSeconds) };
    if (this.closed) return;
    // Re-inserting moves the key to the newest end of the eviction order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  override async delete(key: string): Promise<void> {
    checkKey(key);
    this.entries.delete(key);
  }

  override async deleteByPrefix(prefix: string): Promise<number> {
    checkPrefix(prefix);
    let removed = 0;
    for (const key of this.entries.keys()) {
      if (key.startsWith(prefix) && this.entries.delete(key)) removed++;
    }
    return removed;
  }

  override async health(): Promise<SocketHealth> {
    if (this.closed) return { socket: 'cache', plug: this.plug, status: 'down', detail: 'closed' };
    return { socket: 'cache', plug: this.plug, status: 'up', latencyMs: 0, detail: `${this.entries.size} entries` };
  }

  override async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
