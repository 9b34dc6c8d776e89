import { Coalescer } from './coalescer';

describe('Coalescer', () => {
  it('runs at most once at a time and once more for any number of triggers meanwhile', async () => {
    let runs = 0;
    let release!: () => void;
    const sut = new Coalescer(async () => {
      runs++;
      await new Promise<void>((r) => (release = r));
    }, () => undefined);
    sut.trigger();
    for (let i = 0; i < 50; i++) sut.trigger();
    expect(runs).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    release();
    await sut.idle();
    expect(runs).toBe(2);
    expect(sut.busy).toBe(false);
  });

  it('reports a failing run and keeps working', async () => {
    const errors: unknown[] = [];
    let fail = true;
    let runs = 0;
    const sut = new Coalescer(async () => {
      runs++;
      if (fail) throw new Error('db down');
    }, (error) => errors.push(error));
    sut.trigger();
    await sut.idle();
    fail = false;
    sut.trigger();
    await sut.idle();
    expect(runs).toBe(2);
    expect(errors).toHaveLength(1);
  });
});
