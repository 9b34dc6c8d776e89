import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { STREAM_BUFFER_BYTES } from '@plugboard/storage';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Output chunk of the restore's gunzip. Each zlib chunk is one trip to the thread pool and one
 * callback per stage after it; media barely compresses, so the default 16 KiB would mean that
 * per 16 KiB of data.
 */
export const ZLIB_CHUNK_BYTES = STREAM_BUFFER_BYTES;

/**
 * The compressed side of an archive on its way to gunzip: joins the 64 KiB network chunks
 * into pieces of about ZLIB_CHUNK_BYTES, because gunzip works one written chunk at a time (a
 * thread-pool trip each) — 16 times fewer trips for one copy of the bytes.
 */
export class CompressedInput extends Transform {
  /** Bytes passed on to gunzip so far: what the inflated side is measured against. */
  count = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor() {
    super({ highWaterMark: STREAM_BUFFER_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= ZLIB_CHUNK_BYTES) this.pushPending();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.pushPending();
    callback();
  }

  private pushPending(): void {
    if (this.pendingBytes === 0) return;
    this.count += this.pendingBytes;
    this.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
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
    private readonly compressed: CompressedInput,
    private readonly limits: InflateLimits,
  ) {
    super({ highWaterMark: STREAM_BUFFER_BYTES });
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
