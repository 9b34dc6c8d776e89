/** A page of message lines (about 650 KB) fits a block. */
const BLOCK_BYTES = 1024 * 1024;
/** Blocks kept for reuse: as many pages as wait between the writer and gzip. */
const KEPT_BLOCKS = 4;

/**
 * The export's pages, copied into a few blocks that come back once gzip has consumed them,
 * instead of one new buffer a page. Buffers are memory outside V8's heap that it frees only at
 * its next full collection, and a fast export makes too little garbage to bring one on soon:
 * dead pages would pile up by the tens of megabytes.
 */
export class PagePool {
  private readonly free: Buffer[] = [];
  private readonly blocks = new WeakMap<ArrayBufferLike, Buffer>();

  /** `bytes` copied into a block of the pool. */
  copy(bytes: Buffer): Buffer {
    let block = this.free.pop();
    if (!block || block.length < bytes.length) {
      // Slow: a block of its own, never a slice of Node's shared pool for small buffers.
      block = Buffer.allocUnsafeSlow(Math.max(bytes.length, BLOCK_BYTES));
      this.blocks.set(block.buffer, block);
    }
    bytes.copy(block);
    return block.subarray(0, bytes.length);
  }

  /** Takes back a page once nothing reads it any more; other buffers are left to the GC. */
  release(page: Buffer): void {
    const block = this.blocks.get(page.buffer);
    if (block && this.free.length < KEPT_BLOCKS && !this.free.includes(block)) this.free.push(block);
  }
}
