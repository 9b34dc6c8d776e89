/** Bytes a buffer keeps in reserve to begin with: a page of message lines fits. */
const INITIAL_BYTES = 1024 * 1024;

import type { PagePool } from './page-pool';

/**
 * Lines encoded as UTF-8 into one growing buffer, handed over page by page. Writing each line
 * into it is far cheaper than concatenating a page into one string and encoding that (V8 then
 * flattens a rope of thousands of pieces). Subclasses may fill `bytes` directly after `reserve`.
 */
export class LineBuffer {
  /** The written bytes are `bytes[0, length)`. */
  protected bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  protected length = 0;

  write(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    this.reserve(line.length * 3);
    this.length += this.bytes.write(line, this.length);
  }

  constructor(private readonly pages: PagePool) {}

  /** A copy of the bytes written so far, in a block of the page pool; this buffer is reused for the next lines. */
  take(): Buffer {
    const page = this.pages.copy(this.bytes.subarray(0, this.length));
    this.length = 0;
    return page;
  }

  /** Room for `more` bytes after what is written. */
  protected reserve(more: number): void {
    const needed = this.length + more;
    if (needed <= this.bytes.length) return;
    const larger = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
    this.bytes.copy(larger, 0, 0, this.length);
    this.bytes = larger;
  }
}
