import { hash, randomBytes } from 'node:crypto';

/** Characters of a key shown to users (in listings) to tell keys apart. */
export const KEY_PREFIX_LENGTH = 8;

export interface GeneratedApiKey {
  /** The plain key, shown once. */
  key: string;
  prefix: string;
  hash: string;
}

/** `pb_` + 32 random bytes base64url; only its prefix and hash are stored. */
export function generateApiKey(): GeneratedApiKey {
  const key = `pb_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: keyPrefix(key), hash: hashApiKey(key) };
}

/**
 * Hex SHA-256. Keys are 256-bit random, so a fast unsalted hash is as strong as a slow one
 * and lets the guard find a key by an indexed equality lookup. One-shot `hash` (strings are
 * hashed as UTF-8): it runs on every request, and skips the Hash object `createHash` builds.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH);
}
