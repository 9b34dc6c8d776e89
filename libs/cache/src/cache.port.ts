import type { SocketHealth } from '@plugboard/contracts';

/**
 * The cache socket: JSON values with a TTL, in front of slower sources (the session-worker
 * over the bus). Plugs: an in-memory TTL map and Redis. A cache is an optimisation, so a plug
 * whose backend is gone answers misses and skips writes instead of throwing; only caller
 * mistakes throw (`CacheError` with VALIDATION_FAILED).
 */
export abstract class CachePort {
  abstract readonly plug: string;

  /** The stored value, or null on a miss, after expiry, or while the backend is unreachable. */
  abstract get<T>(key: string): Promise<T | null>;

  /** Stores `value` as JSON for `ttlSeconds` (fractions allowed), replacing value and TTL of an existing key. */
  abstract set(key: string, value: unknown, ttlSeconds: number): Promise<void>;

  /** Removes one key; a missing key is not an error. */
  abstract delete(key: string): Promise<void>;

  /** Removes every key starting with `prefix` (taken literally, no wildcards) and returns how many went. */
  abstract deleteByPrefix(prefix: string): Promise<number>;

  /** The plug's state for health reports, bounded in time, never throwing. */
  abstract health(): Promise<SocketHealth>;

  /** Releases timers and connections; afterwards reads miss and writes are ignored. */
  abstract close(): Promise<void>;
}
