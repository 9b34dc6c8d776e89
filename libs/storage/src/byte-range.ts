import { ErrorCode } from '@plugboard/contracts';
import type { ByteRange } from './storage.port';
import { StorageError } from './storage.errors';

/** VALIDATION_FAILED unless `start` is a non-negative integer and `end`, when given, an integer not below it. */
export function assertRangeShape(key: string, { start, end }: ByteRange): void {
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new StorageError(ErrorCode.ValidationFailed, `invalid byte range ${start}-${end ?? ''}`, key);
  }
}

/**
 * The inclusive bytes a range asks of an object of `size` bytes, as HTTP reads them: `end`
 * past the last byte is clipped; a `start` at or past the end (any range of an empty object)
 * is RANGE_NOT_SATISFIABLE; a malformed range is VALIDATION_FAILED.
 */
export function resolveRange(key: string, range: ByteRange, size: number): { start: number; end: number } {
  assertRangeShape(key, range);
  if (range.start >= size) throw StorageError.rangeNotSatisfiable(key, range.start, size);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}
