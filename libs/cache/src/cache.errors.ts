import { ErrorCode } from '@plugboard/contracts';

/**
 * The one error class of the cache socket. Only caller mistakes (bad TTL, a value JSON cannot
 * hold, an unknown plug) throw: a lost backend never does, the cache is then simply bypassed.
 */
export class CacheError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'CacheError';
  }

  static invalid(message: string, key?: string): CacheError {
    return new CacheError(ErrorCode.ValidationFailed, message, key);
  }
}
