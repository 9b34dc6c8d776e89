import { StorageError } from './storage.errors';

/** S3's limit for a whole key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Below the usual 255-byte file name limit, leaving room for the local plug's temp and sidecar names. */
export const MAX_SEGMENT_BYTES = 200;

// C0 controls, DEL and C1 controls: they break logs, headers and file names.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks an object key (`a/b/c.ext`) and returns it, or throws StorageError INVALID_KEY.
 * The same rules hold for every plug, so a key accepted by one is valid on the other:
 * relative, `/`-separated, no empty segment, no segment starting with `.` (rules out `.`
 * and `..`, and keeps the local plug's hidden temp/sidecar names out of the key space),
 * no backslash, no control characters.
 */
export function assertValidKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw StorageError.invalidKey(String(key), 'must be a non-empty string');
  checkCharacters(key);
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw StorageError.invalidKey(key, `longer than ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith('/')) throw StorageError.invalidKey(key, 'must be relative (no leading "/")');
  key.split('/').forEach((segment) => checkSegment(key, segment));
  return key;
}

/** True when `key` passes `assertValidKey`; for names found on disk that were not written through a plug. */
export function isValidKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a listing prefix: empty (everything), or a key prefix that may end with `/`. The
 * last segment may be partial (`a/ph` matches `a/photo.jpg`), as with S3 prefixes.
 */
export function assertValidPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw StorageError.invalidKey(String(prefix), 'prefix must be a string');
  if (prefix === '') return prefix;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

function checkCharacters(key: string): void {
  if (CONTROL_CHARS.test(key)) throw StorageError.invalidKey(key, 'contains a control character');
  if (key.includes('\\')) throw StorageError.invalidKey(key, 'contains a backslash');
}

function checkSegment(key: string, segment: string): void {
  if (segment === '') throw StorageError.invalidKey(key, 'has an empty segment');
  if (segment.startsWith('.')) throw StorageError.invalidKey(key, `segment "${segment}" starts with "."`);
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
    throw StorageError.invalidKey(key, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
}
