import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { ContentDigest } from './content-digest';
import { STREAM_BUFFER_BYTES } from './stream-buffer';

/**
 * A durable file starts flushing what it has to the disk every this many bytes, while the rest
 * still streams in: the flush at the end then waits for the last few MiB only, not the whole
 * file (it costs about 0.6 ms per MiB on a virtual disk, in series with the reply).
 */
const EARLY_SYNC_BYTES = 4 * STREAM_BUFFER_BYTES;

/**
 * The file end of a put: hashes each chunk as it arrives and writes them in batches of about
 * STREAM_BUFFER_BYTES with one writev each. A plain fs.WriteStream writes each 64 KiB network
 * chunk on its own as long as the disk keeps up, which costs a thread-pool round trip per
 * chunk. Chunks are acknowledged once batched (their buffers are kept, not copied), so
 * memory stays at about two batches per put.
 */
export class DigestFileSink extends Writable {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private closing?: Promise<void>;
  private unsynced = 0;
  private earlySync?: Promise<void>;
  /** Kept for the final flush: Linux reports a failed write-back to one fsync only. */
  private earlySyncFailure?: { error: unknown };

  constructor(
    private readonly handle: FileHandle,
    private readonly digest: ContentDigest,
    private readonly durable: boolean,
  ) {
    super({ highWaterMark: STREAM_BUFFER_BYTES });
  }

  /** Closes the file once; later calls wait for the same close. */
  close(): Promise<void> {
    this.closing ??= this.handle.close();
    return this.closing;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.take([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.take(
      chunks.map(({ chunk }) => chunk),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.digest.end();
    } catch (error) {
      return callback(error as Error);
    }
    this.flush()
      .then(() => (this.durable ? this.syncToDisk() : undefined))
      .then(() => this.close())
      .then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.close().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private take(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    try {
      for (const chunk of chunks) {
        this.digest.update(chunk);
        this.batch.push(chunk);
        this.batchBytes += chunk.length;
      }
    } catch (error) {
      return callback(error as Error);
    }
    if (this.batchBytes < STREAM_BUFFER_BYTES) return callback();
    this.flush().then(() => callback(), callback);
  }

  private async flush(): Promise<void> {
    const buffers = this.batch;
    const total = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    if (total === 0) return;
    const { bytesWritten } = await this.handle.writev(buffers);
    // A short write (the disk filling up) is finished with plain writes, which report the error.
    let rest = bytesWritten < total ? Buffer.concat(buffers).subarray(bytesWritten) : undefined;
    while (rest?.length) {
      const { bytesWritten: more } = await this.handle.write(rest);
      if (more === 0) throw Object.assign(new Error('the disk accepted no more bytes'), { code: 'EIO' });
      rest = rest.subarray(more);
    }
    this.unsynced += total;
    if (this.durable && this.unsynced >= EARLY_SYNC_BYTES && !this.earlySync) this.startEarlySync();
  }

  private startEarlySync(): void {
    this.unsynced = 0;
    this.earlySync = this.handle.datasync().then(
      () => (this.earlySync = undefined),
      (error: unknown) => {
        this.earlySyncFailure ??= { error };
        this.earlySync = undefined;
      },
    );
  }

  /** Everything on the disk: after the early flush still running, if any, and failing when any flush failed. */
  private async syncToDisk(): Promise<void> {
    await this.earlySync;
    if (this.earlySyncFailure) throw this.earlySyncFailure.error;
    await this.handle.datasync();
  }
}
