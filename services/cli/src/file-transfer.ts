import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { TransferError, UsageError } from './cli-errors';
import type { Progress } from './progress';

/**
 * Streams a response body into `out` through a temp file next to it, renamed into place only
 * once every byte arrived: a cut-off download never leaves a truncated file under the real name.
 */
export async function downloadToFile(response: Response, out: string, progress: Progress): Promise<number> {
  if (!response.body) throw new TransferError('the server sent no body');
  const target = resolve(out);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.part`);
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), progress.meter(), createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    await rename(temp, target);
  } catch (error) {
    progress.abort();
    await rm(temp, { force: true });
    throw new TransferError(`download to ${out} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  progress.finish();
  return progress.bytes;
}

/** The total byte count a response announces, if any. */
export function contentLengthOf(response: Response): number | undefined {
  const value = Number(response.headers.get('content-length'));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** A regular file to upload, with its size (the progress total); a missing file is a usage error. */
export async function uploadSource(file: string): Promise<{ size: number; open: (progress: Progress) => Readable }> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const open = (progress: Progress) => {
    const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
    const meter = progress.meter();
    // pipe() does not forward errors: a read failure must fail the upload, not stall it.
    source.once('error', (error) => meter.destroy(error));
    return source.pipe(meter);
  };
  return { size, open };
}
