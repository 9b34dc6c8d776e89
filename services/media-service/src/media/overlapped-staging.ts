import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * The objects of an archive being staged, one after the other in archive order, with the next
 * entry read while the previous object finishes its put (the flush to disk, or the upload of an
 * S3 spool file): that wait no longer holds up the archive stream. At most `limit` objects are
 * unfinished at a time.
 */
export class OverlappedStaging<T> {
  private readonly all: Promise<T>[] = [];
  private readonly unfinished = new Set<Promise<T>>();
  private failure?: { error: unknown };

  constructor(private readonly limit: number) {}

  /**
   * Adds the staging of `entry` and resolves once all its bytes were read and fewer than
   * `limit` objects are unfinished; rejects with the first failure.
   */
  async add(entry: Readable, staging: Promise<T>): Promise<void> {
    this.all.push(staging);
    this.unfinished.add(staging);
    staging.then(
      () => this.unfinished.delete(staging),
      (error: unknown) => {
        this.unfinished.delete(staging);
        this.failure ??= { error };
      },
    );
    // An entry that did not end was abandoned by its put: that put's error is the one to report.
    await finished(entry).catch(() => staging);
    while (this.unfinished.size >= this.limit) await Promise.race(this.unfinished);
    // A failure stops the archive at once, not after the rest of it was read.
    if (this.failure) throw this.failure.error;
  }

  /** The results in archive order, once all finished; rejects with the first failure. */
  results(): Promise<T[]> {
    return Promise.all(this.all);
  }

  /** Waits until none is running any more, failed or not: staged files are removed only then. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.all);
  }
}
