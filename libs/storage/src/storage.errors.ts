import { ErrorCode } from '@plugboard/contracts';

/** The one error class of the files socket. `code` says what went wrong, `key` on which object. */
export class StorageError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly key?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'StorageError';
  }

  static invalidKey(key: string, reason: string): StorageError {
    return new StorageError(ErrorCode.InvalidKey, `invalid storage key: ${reason}`, key);
  }

  static notFound(key: string): StorageError {
    return new StorageError(ErrorCode.NotFound, `no object "${key}"`, key);
  }

  static rangeNotSatisfiable(key: string, start: number, size?: number): StorageError {
    const of = size === undefined ? `"${key}"` : `"${key}" (${size} bytes)`;
    return new StorageError(ErrorCode.RangeNotSatisfiable, `range starting at byte ${start} is past the end of ${of}`, key, { size });
  }

  static sizeMismatch(key: string, declared: number, actual: string): StorageError {
    return new StorageError(ErrorCode.ValidationFailed, `"${key}": declared ${declared} bytes but the stream has ${actual}`, key);
  }

  /** The caller's stream failed (an upload cut short): nothing was stored. */
  static sourceFailed(key: string, cause: unknown): StorageError {
    return new StorageError(ErrorCode.ValidationFailed, `the stream for "${key}" failed before its end: ${errorMessage(cause)}`, key);
  }

  static unavailable(reason: string, key?: string): StorageError {
    return new StorageError(ErrorCode.StorageUnavailable, `storage unavailable: ${reason}`, key);
  }
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
