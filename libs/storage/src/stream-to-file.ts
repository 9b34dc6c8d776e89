import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContentDigest } from './content-digest';
import { DigestFileSink } from './digest-file-sink';
import { StorageError } from './storage.errors';

export interface StreamToFileOptions {
  /** Flush the bytes to the disk before the file is closed (a put that will publish it), not for a spool. */
  durable: boolean;
}

/**
 * Writes the caller's stream into a new file at `path`, counted and hashed by `digest` in the
 * same pass. When the caller's stream fails first (an upload cut short) the error says so,
 * with the key: it must not be mistaken for a disk or network failure of ours, even when it
 * carries a code like ECONNRESET. Our own failures (size checks, the file) are thrown as they
 * are. The file is closed when this returns, also on failure.
 */
export async function streamToFile(key: string, source: Readable, digest: ContentDigest, path: string, options: StreamToFileOptions): Promise<void> {
  // The first stream to emit an error is where it started; pipeline then destroys the others with it.
  // Listening before the file opens: an error of the source meanwhile is noted, not thrown at the process.
  let origin: 'source' | 'sink' | undefined;
  source.once('error', () => (origin ??= 'source'));
  const sink = new DigestFileSink(await open(path, 'wx', 0o600), digest, options.durable);
  sink.once('error', () => (origin ??= 'sink'));
  try {
    await pipeline(source, sink);
  } catch (error) {
    await sink.close().catch(() => undefined);
    if (error instanceof StorageError || origin !== 'source') throw error;
    throw StorageError.sourceFailed(key, error);
  }
}
