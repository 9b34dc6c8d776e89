import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OverlappedStaging } from './overlapped-staging';

/** An entry and its staging: the bytes are read at once, the staging finishes when `finish` is called. */
function staged(value: string) {
  const entry = Readable.from([Buffer.from(value)]);
  let finish!: (error?: Error) => void;
  const result = new Promise<string>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve(value))));
  const read = pipeline(entry, new Writable({ write: (_chunk, _encoding, done) => done() }));
  return { entry, promise: read.then(() => result), finish };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('OverlappedStaging', () => {
  it('goes on once an entry was read while its staging finishes, up to the limit, in archive order', async () => {
    const staging = new OverlappedStaging<string>(2);
    const first = staged('a');
    await staging.add(first.entry, first.promise);
    const second = staged('b');
    let added = false;
    const adding = staging.add(second.entry, second.promise).then(() => (added = true));
    await tick();
    // Two unfinished with a limit of two: the next entry waits for one of them.
    expect(added).toBe(false);
    second.finish();
    await adding;
    first.finish();
    expect(await staging.results()).toEqual(['a', 'b']);
  });

  it('reports the failure of an earlier staging, and settles only once all stopped', async () => {
    const staging = new OverlappedStaging<string>(2);
    const failing = staged('a');
    await staging.add(failing.entry, failing.promise);
    const slow = staged('b');
    const adding = staging.add(slow.entry, slow.promise);
    failing.finish(new Error('sha256 mismatch'));
    await expect(adding).rejects.toThrow('sha256 mismatch');
    let settled = false;
    const settling = staging.settle().then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    slow.finish();
    await settling;
  });

  it("reports the put's own error when it abandoned its entry", async () => {
    const staging = new OverlappedStaging<string>(2);
    const abandoned = new Readable({ read() {} });
    const put = new Promise<string>((_resolve, reject) =>
      setImmediate(() => {
        abandoned.destroy();
        reject(new Error('size mismatch'));
      }),
    );
    await expect(staging.add(abandoned, put)).rejects.toThrow('size mismatch');
  });
});
