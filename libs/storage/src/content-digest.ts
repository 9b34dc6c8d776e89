import { ErrorCode } from '@plugboard/contracts';
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { StorageError } from './storage.errors';

/** Buffer of each stage that media bytes stream through (file, hash): large enough to keep disk and network busy. */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

export interface DigestLimits {
  key: string;
  /** Declared size: more bytes fail at once, fewer fail at the end. */
  size?: number;
  /** Largest object the plug can store. */
  maxBytes?: number;
}

/**
 * Pass-through that hashes (SHA-256) and counts the bytes on their way to the backend, and
 * fails as soon as they break the declared size or the plug's maximum — so a wrong upload
 * stops early instead of after the whole body was written.
 */
export class ContentDigest extends Transform {
  private readonly hash = createHash('sha256');
  private count = 0;

  constructor(private readonly limits: DigestLimits) {
    // Room for a few network chunks per stage, so hashing and writing run on larger batches; memory stays bounded.
    super({ highWaterMark: STREAM_BUFFER_BYTES });
    if (limits.size !== undefined && !(Number.isSafeInteger(limits.size) && limits.size >= 0)) {
      throw new StorageError(ErrorCode.ValidationFailed, `size must be a non-negative integer, got ${limits.size}`, limits.key);
    }
    if (limits.size !== undefined && limits.maxBytes !== undefined && limits.size > limits.maxBytes) {
      throw tooLarge(limits.key, limits.maxBytes);
    }
  }

  /** Bytes seen so far (all of them once the stream finished). */
  get size(): number {
    return this.count;
  }

  /** Hex SHA-256 of all bytes; call once, after the stream finished. */
  sha256(): string {
    return this.hash.digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    const { key, size, maxBytes } = this.limits;
    if (size !== undefined && this.count > size) return callback(StorageError.sizeMismatch(key, size, 'more'));
    if (maxBytes !== undefined && this.count > maxBytes) return callback(tooLarge(key, maxBytes));
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const { key, size } = this.limits;
    if (size !== undefined && this.count !== size) return callback(StorageError.sizeMismatch(key, size, `${this.count}`));
    callback();
  }
}

function tooLarge(key: string, maxBytes: number): StorageError {
  return new StorageError(ErrorCode.PayloadTooLarge, `"${key}" is larger than the ${maxBytes} bytes this storage accepts`, key);
}
