import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { STREAM_BUFFER_BYTES } from '@plugboard/storage';
import { Transform, type TransformCallback } from 'node:stream';

/** Pass-through that fails with PAYLOAD_TOO_LARGE as soon as more than `maxBytes` went through. */
export class ByteCap extends Transform {
  private count = 0;

  constructor(private readonly maxBytes: number) {
    // Same buffer as the storage stages: the default 16 KiB holds less than one 64 KiB network chunk.
    super({ highWaterMark: STREAM_BUFFER_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.maxBytes) return callback(payloadTooLarge(this.maxBytes));
    callback(null, chunk);
  }
}

export function payloadTooLarge(maxBytes: number): ServiceError {
  return new ServiceError(ErrorCode.PayloadTooLarge, `media larger than the ${maxBytes} bytes allowed (MEDIA_MAX_BYTES)`, { maxBytes });
}
