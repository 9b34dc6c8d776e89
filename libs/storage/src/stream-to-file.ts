import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ContentDigest, STREAM_BUFFER_BYTES } from './content-digest';
import { StorageError } from './storage.errors';

/**
 * Writes the caller's stream through `digest` into a new file at `path`. When the caller's
 * stream fails first (an upload cut short) the error says so, with the key: it must not be
 * mistaken for a disk or network failure of ours, even when it carries a code like ECONNRESET.
 * Our own failures (size checks, the file) are thrown as they are.
 */
export async function streamToFile(key: string, source: Readable, digest: ContentDigest, path: string): Promise<void> {
  const sink = createWriteStream(path, { flags: 'wx', mode: 0o600, highWaterMark: STREAM_BUFFER_BYTES });
  // The first stream to emit an error is where it started; pipeline then destroys the others with it.
  let origin: 'source' | 'sink' | undefined;
  source.once('error', () => (origin ??= 'source'));
  sink.once('error', () => (origin ??= 'sink'));
  try {
    await pipeline(source, digest, sink);
  } catch (error) {
    if (error instanceof StorageError || origin !== 'source') throw error;
    throw StorageError.sourceFailed(key, error);
  }
}
