import { ErrorCode } from '@plugboard/contracts';
import { resolveRange } from './byte-range';
import { StorageError } from './storage.errors';

function code(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return (error as StorageError).code;
  }
  throw new Error('expected a StorageError');
}

describe('resolveRange', () => {
  it('reads inclusive ranges and clips the end to the last byte', () => {
    expect(resolveRange('k', { start: 0 }, 10)).toEqual({ start: 0, end: 9 });
    expect(resolveRange('k', { start: 2, end: 4 }, 10)).toEqual({ start: 2, end: 4 });
    expect(resolveRange('k', { start: 9, end: 9 }, 10)).toEqual({ start: 9, end: 9 });
    expect(resolveRange('k', { start: 5, end: 500 }, 10)).toEqual({ start: 5, end: 9 });
  });

  it('refuses a start at or past the end, including any range of an empty object', () => {
    expect(code(() => resolveRange('k', { start: 10 }, 10))).toBe(ErrorCode.RangeNotSatisfiable);
    expect(code(() => resolveRange('k', { start: 0 }, 0))).toBe(ErrorCode.RangeNotSatisfiable);
  });

  it('refuses malformed ranges', () => {
    expect(code(() => resolveRange('k', { start: -1 }, 10))).toBe(ErrorCode.ValidationFailed);
    expect(code(() => resolveRange('k', { start: 1.5 }, 10))).toBe(ErrorCode.ValidationFailed);
    expect(code(() => resolveRange('k', { start: 4, end: 3 }, 10))).toBe(ErrorCode.ValidationFailed);
  });
});
