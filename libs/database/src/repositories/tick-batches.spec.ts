import { TickBatches } from './tick-batches';

describe('TickBatches', () => {
  it('runs the calls of one turn as one batch per group, each caller getting its own result', async () => {
    const runs: [string, string[]][] = [];
    const batches = new TickBatches<number, number>(async (group, items) => {
      runs.push([group, [...items.keys()]]);
      return new Map([...items].map(([key, n]) => [key, n * 10]));
    });
    const results = await Promise.all([batches.add('a', 'x', 1), batches.add('a', 'y', 2), batches.add('b', 'x', 3)]);
    expect(results).toEqual([10, 20, 30]);
    expect(runs).toEqual([
      ['a', ['x', 'y']],
      ['b', ['x']],
    ]);
  });

  it('holds a repeated key back until the batch holding it has finished, keeping call order per key', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batches = new TickBatches<string, string>(async (_group, items) => {
      const values = [...items.values()];
      order.push(`start ${values.join(',')}`);
      if (values.includes('first')) await gate;
      order.push(`end ${values.join(',')}`);
      return new Map([...items].map(([key, value]) => [key, value]));
    });
    const first = batches.add('g', 'k', 'first');
    const second = batches.add('g', 'k', 'second');
    const other = batches.add('g', 'j', 'other');
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await Promise.all([first, second, other])).toEqual(['first', 'second', 'other']);
    expect(order).toEqual(['start first,other', 'end first,other', 'start second', 'end second']);
  });

  it('starts a full batch at once and rejects every caller of a batch that failed', async () => {
    const sizes: number[] = [];
    const batches = new TickBatches<number, number>(async (_group, items) => {
      sizes.push(items.size);
      if (items.has('bad')) throw new Error('boom');
      return new Map([...items].map(([key, n]) => [key, n]));
    }, 2);
    const ok = Promise.all([batches.add('g', 'a', 1), batches.add('g', 'b', 2), batches.add('g', 'c', 3)]);
    expect(await ok).toEqual([1, 2, 3]);
    expect(sizes).toEqual([2, 1]);
    await expect(batches.add('g', 'bad', 0)).rejects.toThrow('boom');
  });
});
