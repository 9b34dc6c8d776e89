import { CacheError } from './cache.errors';

/*
 * Argument checks and JSON encoding shared by every plug, so each one accepts and refuses
 * exactly the same calls.
 */

/** JSON text of `value`; refuses what JSON cannot round-trip (undefined, functions, BigInt, cycles). */
export function encodeValue(key: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw CacheError.invalid(`value of "${key}" is not JSON-serialisable: ${(error as Error).message}`, key);
  }
  if (json === undefined) throw CacheError.invalid(`value of "${key}" is not JSON-serialisable`, key);
  return json;
}

/** The value of stored JSON text; text that is not JSON (written by someone else) reads as a miss. */
export function decodeValue<T>(json: string): T | null {
  try {
    return JSON.parse(json) as T;
  } catch {
    return null;
  }
}

/** TTL in whole milliseconds (at least 1), so fractional seconds work on every plug. */
export function ttlMs(key: string, ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw CacheError.invalid(`TTL of "${key}" must be a positive number of seconds, got ${ttlSeconds}`, key);
  }
  return Math.max(1, Math.ceil(ttlSeconds * 1_000));
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw CacheError.invalid('cache key must be a non-empty string');
}

/** An empty prefix would wipe the whole cache by accident; that is refused. */
export function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || prefix === '') throw CacheError.invalid('deleteByPrefix needs a non-empty prefix');
}
