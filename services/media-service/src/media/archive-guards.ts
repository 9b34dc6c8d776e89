import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Output chunk of the archive's gzip/gunzip: media barely compresses, so the default 16 KiB
 * means a callback per 16 KiB of data; 256 KiB keeps zlib busy at a small, fixed memory cost.
 */
export const ZLIB_CHUNK_BYTES = 256 * 1024;
const STAGE_BUFFER_BYTES = 1024 * 1024;

/** Counts the bytes that pass (the compressed side of an archive). */
export class ByteCounter extends Transform {
  count = 0;

  constructor() {
    super({ highWaterMark: STAGE_BUFFER_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    callback(null, chunk);
  }
}

export interface InflateLimits {
  /** Most uncompressed bytes in all. */
  maxBytes: number;
  /** Most uncompressed bytes per compressed byte (a gzip bomb inflates ~1000×). */
  maxRatio: number;
}

// Small archives (a manifest, tiny files) compress far better than media: no ratio check below this.
const RATIO_FREE_BYTES = 1024 * 1024;

/** On the uncompressed side: stops at once when the total or the ratio to `compressed` is exceeded. */
export class InflateGuard extends Transform {
  private count = 0;

  constructor(
    private readonly compressed: ByteCounter,
    private readonly limits: InflateLimits,
  ) {
    super({ highWaterMark: STAGE_BUFFER_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.limits.maxBytes) {
      return callback(new ServiceError(ErrorCode.PayloadTooLarge, `archive inflates past ${this.limits.maxBytes} bytes (MEDIA_IMPORT_MAX_BYTES)`));
    }
    if (this.count > RATIO_FREE_BYTES && this.count > this.compressed.count * this.limits.maxRatio) {
      return callback(
        new ServiceError(ErrorCode.PayloadTooLarge, `archive inflates more than ${this.limits.maxRatio}× (MEDIA_IMPORT_MAX_RATIO): refused as a gzip bomb`),
      );
    }
    callback(null, chunk);
  }
}

/**
 * The object key of an entry name `objects/<key>`, or VALIDATION_FAILED for anything that
 * could land outside the store: absolute names, `..`, backslashes, empty segments.
 */
export function entryKey(name: string, folder: string): string {
  const unsafe = name.startsWith('/') || name.includes('\\') || name.split('/').some((segment) => segment === '..' || segment === '.');
  if (unsafe || !name.startsWith(folder) || name.length === folder.length) {
    throw new ServiceError(ErrorCode.ValidationFailed, `unsafe or unexpected archive entry "${name.slice(0, 200)}"`);
  }
  return name.slice(folder.length);
}
