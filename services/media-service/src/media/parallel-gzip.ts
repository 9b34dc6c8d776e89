import { STREAM_BUFFER_BYTES } from '@plugboard/storage';
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipBlock = promisify(gzip);

/** Uncompressed bytes per gzip member: the dictionary restarts per member, which costs well under 1% at this size. */
export const GZIP_BLOCK_BYTES = STREAM_BUFFER_BYTES;

/**
 * Blocks compressed at once. Each takes a libuv thread-pool thread (4 by default); one is left
 * for the file reads that feed the archive, so they never wait behind compression.
 */
const MAX_BLOCKS_IN_FLIGHT = Math.max(1, Math.min(3, availableParallelism()));

/**
 * Gzip on several cores: the input is cut into blocks of GZIP_BLOCK_BYTES, each compressed as
 * its own gzip member on the thread pool, and the members are written in input order. A file
 * of concatenated members is plain gzip (RFC 1952 §2.2): `gzip -d`, `tar xzf` and Node's gunzip
 * read it as one stream. Deflate is the whole cost of a backup, and a single zlib stream uses
 * one core. Memory: about two blocks per block in flight.
 */
export class ParallelGzip extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Members being compressed, oldest first: the order they are written in. */
  private readonly inFlight: Promise<Buffer>[] = [];

  constructor(private readonly level: number) {
    super({ highWaterMark: STREAM_BUFFER_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < GZIP_BLOCK_BYTES) return callback();
    this.startBlock();
    // Input waits only while all slots are busy: then the oldest member is written first.
    this.writeUntil(MAX_BLOCKS_IN_FLIGHT - 1).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    // An empty input still becomes one (empty) member, so the output is always valid gzip.
    if (this.pendingBytes > 0 || this.inFlight.length === 0) this.startBlock();
    this.writeUntil(0).then(() => callback(), callback);
  }

  private startBlock(): void {
    const block = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const member = gzipBlock(block, { level: this.level });
    // Awaited in order by writeUntil; a failure after the stream was destroyed must not go unhandled.
    member.catch(() => undefined);
    this.inFlight.push(member);
  }

  private async writeUntil(inFlight: number): Promise<void> {
    while (this.inFlight.length > inFlight) {
      const oldest = this.inFlight.shift() as Promise<Buffer>;
      this.push(await oldest);
    }
  }
}
