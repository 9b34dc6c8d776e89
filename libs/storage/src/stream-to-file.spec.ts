import { ErrorCode } from '@plugboard/contracts';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentDigest } from './content-digest';
import { StorageError } from './storage.errors';
import { STREAM_BUFFER_BYTES } from './stream-buffer';
import { streamToFile } from './stream-to-file';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plugboard-stream-to-file-'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** Chunks of uneven sizes, so batches end mid-chunk and past STREAM_BUFFER_BYTES. */
function unevenChunks(total: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let left = total, i = 0; left > 0; i++) {
    const size = Math.min(left, [65_536, 1, 300_001, 4_095][i % 4]);
    chunks.push(randomBytes(size));
    left -= size;
  }
  return chunks;
}

describe('streamToFile', () => {
  it('writes every byte in order across several batches, with their size and sha256', async () => {
    // Past 4 MiB: a durable file starts flushing to the disk while it is still written.
    const chunks = unevenChunks(9 * STREAM_BUFFER_BYTES + 12_345);
    const whole = Buffer.concat(chunks);
    const digest = new ContentDigest({ key: 'k', size: whole.length });
    const path = join(dir, 'file');
    await streamToFile('k', Readable.from(chunks), digest, path, { durable: true });
    expect((await readFile(path)).equals(whole)).toBe(true);
    expect(digest.size).toBe(whole.length);
    expect(digest.sha256()).toBe(createHash('sha256').update(whole).digest('hex'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('writes an empty stream as an empty file', async () => {
    const path = join(dir, 'empty');
    await streamToFile('k', Readable.from([]), new ContentDigest({ key: 'k', size: 0 }), path, { durable: false });
    expect((await stat(path)).size).toBe(0);
  });

  it('refuses to replace an existing file', async () => {
    const path = join(dir, 'taken');
    await streamToFile('k', Readable.from([Buffer.from('a')]), new ContentDigest({ key: 'k' }), path, { durable: false });
    await expect(streamToFile('k', Readable.from([Buffer.from('b')]), new ContentDigest({ key: 'k' }), path, { durable: false })).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('stops with VALIDATION_FAILED as soon as the stream passes its declared size', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 65_536;
        this.push(Buffer.alloc(65_536));
      },
    });
    const error = await streamToFile('k', endless, new ContentDigest({ key: 'k', size: 100_000 }), join(dir, 'long'), { durable: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe(ErrorCode.ValidationFailed);
    expect(produced).toBeLessThan(4 * STREAM_BUFFER_BYTES);
  });

  it('says the caller\'s stream failed when it breaks midway, even with a network error code', async () => {
    const broken = new Readable({ read() {} });
    broken.push(Buffer.alloc(10));
    setImmediate(() => broken.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
    const error = await streamToFile('k', broken, new ContentDigest({ key: 'k' }), join(dir, 'cut'), { durable: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe(ErrorCode.ValidationFailed);
    expect((error as StorageError).message).toMatch(/failed before its end: socket hang up/);
  });

  it('fails when an early flush to the disk failed, even if the last one succeeds', async () => {
    // Linux reports a failed write-back to one fsync only: the early one must not swallow it.
    const probe = await open(join(dir, 'probe'), 'w');
    const fileHandle = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const source = Readable.from(unevenChunks(12 * STREAM_BUFFER_BYTES));
    let sourceEnded = false;
    let firstFlushWhileStreaming = false;
    source.once('end', () => (sourceEnded = true));
    vi.spyOn(fileHandle, 'datasync').mockImplementationOnce(() => {
      firstFlushWhileStreaming = !sourceEnded;
      return Promise.reject(Object.assign(new Error('write-back failed'), { code: 'EIO' }));
    });
    const written = streamToFile('k', source, new ContentDigest({ key: 'k' }), join(dir, 'eio'), { durable: true });
    await expect(written).rejects.toMatchObject({ code: 'EIO' });
    expect(firstFlushWhileStreaming).toBe(true);
  });
});
