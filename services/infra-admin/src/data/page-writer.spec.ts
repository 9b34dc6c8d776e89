import { Writable } from 'node:stream';
import { PagePool } from './page-pool';
import { writePages } from './page-writer';

/** A target that takes one chunk per tick, keeping what it got. */
function slowTarget(): { target: Writable; received: string[] } {
  const received: string[] = [];
  const target = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk.toString());
      setImmediate(done);
    },
  });
  target.on('error', () => undefined);
  return { target, received };
}

/** Pages from the pool, counting how many were pulled and whether the source was closed. */
function source(pool: PagePool, count: number, failAt?: number) {
  const state = { pulled: 0, closed: false };
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (let i = 0; i < count; i++) {
        if (i === failAt) throw new Error('the database went away');
        state.pulled += 1;
        yield pool.copy(Buffer.from(`page ${i}\n`));
      }
    } finally {
      state.closed = true;
    }
  }
  return { chunks: chunks(), state };
}

describe('writePages', () => {
  it('writes every page in order, no faster than the target takes them, then ends it and hands the pages back', async () => {
    const pool = new PagePool();
    const release = vi.spyOn(pool, 'release');
    const { target, received } = slowTarget();
    const { chunks, state } = source(pool, 5);
    const writing = writePages(target, chunks, pool);
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.pulled).toBeLessThan(5);
    await writing;
    await new Promise((resolve) => target.once('finish', resolve));
    expect(received).toEqual(['page 0\n', 'page 1\n', 'page 2\n', 'page 3\n', 'page 4\n']);
    expect(release).toHaveBeenCalledTimes(5);
  });

  it('stops and closes the source when the target is destroyed', async () => {
    const pool = new PagePool();
    const { target } = slowTarget();
    const { chunks, state } = source(pool, 1_000);
    const writing = writePages(target, chunks, pool);
    await new Promise((resolve) => setImmediate(resolve));
    target.destroy();
    await writing;
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThan(10);
  });

  it("destroys the target with the source's error", async () => {
    const pool = new PagePool();
    const { target } = slowTarget();
    const failed = new Promise<Error>((resolve) => target.once('error', resolve));
    await writePages(target, source(pool, 5, 2).chunks, pool);
    expect((await failed).message).toBe('the database went away');
  });
});
