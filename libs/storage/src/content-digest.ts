import { ErrorCode } from '@plugboard/contracts';
import { createHash } from 'node:crypto';
import { StorageError } from './storage.errors';

export interface DigestLimits {
  key: string;
  /** Declared size: more bytes fail at once, fewer fail at the end. */
  size?: number;
  /** Largest object the plug can store. */
  maxBytes?: number;
}

/**
 * Hashes (SHA-256) and counts the bytes of an object on their way to the backend, in the same
 * pass that writes them, and fails as soon as they break the declared size or the plug's
 * maximum — so a wrong upload stops early instead of after the whole body was written.
 */
export class ContentDigest {
  private readonly hash = createHash('sha256');
  private count = 0;

  constructor(private readonly limits: DigestLimits) {
    if (limits.size !== undefined && !(Number.isSafeInteger(limits.size) && limits.size >= 0)) {
      throw new StorageError(ErrorCode.ValidationFailed, `size must be a non-negative integer, got ${limits.size}`, limits.key);
    }
    if (limits.size !== undefined && limits.maxBytes !== undefined && limits.size > limits.maxBytes) {
      throw tooLarge(limits.key, limits.maxBytes);
    }
  }

  /** Bytes seen so far (all of them once `end` passed). */
  get size(): number {
    return this.count;
  }

  /** Takes the next bytes; throws StorageError when they go past the declared size or the maximum. */
  update(chunk: Buffer): void {
    this.count += chunk.length;
    const { key, size, maxBytes } = this.limits;
    if (size !== undefined && this.count > size) throw StorageError.sizeMismatch(key, size, 'more');
    if (maxBytes !== undefined && this.count > maxBytes) throw tooLarge(key, maxBytes);
    this.hash.update(chunk);
  }

  /** After the last bytes: throws StorageError when fewer than declared arrived. */
  end(): void {
    const { key, size } = this.limits;
    if (size !== undefined && this.count !== size) throw StorageError.sizeMismatch(key, size, `${this.count}`);
  }

  /** Hex SHA-256 of all bytes; call once, after `end`. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

function tooLarge(key: string, maxBytes: number): StorageError {
  return new StorageError(ErrorCode.PayloadTooLarge, `"${key}" is larger than the ${maxBytes} bytes this storage accepts`, key);
}
