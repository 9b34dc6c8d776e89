import { SerialChains } from './serial-chains';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SerialChains', () => {
  it('runs the tasks of one key in order and other keys alongside, past a failing task', async () => {
    const chains = new SerialChains();
    const log: string[] = [];
    const gate = deferred();
    const first = chains.run('a', async () => {
      await gate.promise;
      log.push('a1');
      throw new Error('boom');
    });
    const second = chains.run('a', async () => void log.push('a2'));
    await chains.run('b', async () => void log.push('b1'));
    expect(log).toEqual(['b1']);
    expect(chains.busy).toBe(true);

    gate.resolve();
    await expect(first).rejects.toThrow('boom');
    await second;
    await chains.idle();
    expect(log).toEqual(['b1', 'a1', 'a2']);
    expect(chains.busy).toBe(false);
  });
});
