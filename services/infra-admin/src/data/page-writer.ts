import type { Writable } from 'node:stream';
import type { PagePool } from './page-pool';

/**
 * Writes the chunks into `target` only as fast as it takes them (backpressure), handing each
 * page back to the pool once `target` has consumed it. Stops, closing the chunks' source, when
 * `target` is destroyed (its reader went away, or the job was cancelled); a failing source
 * destroys `target` with its error. Never rejects.
 */
export async function writePages(target: Writable, chunks: AsyncGenerator<Buffer>, pages: PagePool): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (target.destroyed) return;
      if (!target.write(chunk, (error) => error || pages.release(chunk))) await drainedOrClosed(target);
    }
    target.end();
  } catch (error) {
    target.destroy(error as Error);
  }
}

function drainedOrClosed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      stream.off('drain', settle);
      stream.off('close', settle);
      resolve();
    };
    stream.on('drain', settle);
    stream.on('close', settle);
  });
}
