import { runCacheContract } from './__tests__/cache.contract';
import { MemoryCacheAdapter } from './memory-cache.adapter';

runCacheContract('memory', () => new MemoryCacheAdapter(), { bulkKeys: 1_500 });

describe('MemoryCacheAdapter', () => {
  function setup(options: { maxEntries?: number; sweepIntervalMs?: number } = {}) {
    const clock = { now: 1_000_000 };
    const sut = new MemoryCacheAdapter({ ...options, now: () => clock.now });
    return { sut, clock };
  }

  it('expires on read by its clock', async () => {
    const { sut, clock } = setup();
    await sut.set('k', 'v', 10);
    clock.now += 9_999;
    expect(await sut.get('k')).toBe('v');
    clock.now += 1;
    expect(await sut.get('k')).toBeNull();
    expect(sut.size).toBe(0);
    await sut.close();
  });

  it('sweeps expired entries nobody reads', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const { sut, clock } = setup({ sweepIntervalMs: 1_000 });
      await sut.set('gone', 1, 5);
      await sut.set('stays', 2, 60);
      clock.now += 5_000;
      expect(sut.size).toBe(2);
      vi.advanceTimersByTime(1_000);
      expect(sut.size).toBe(1);
      expect(await sut.get('stays')).toBe(2);
      await sut.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('evicts the least recently written entry beyond maxEntries', async () => {
    const { sut } = setup({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) await sut.set(key, key, 60);
    await sut.set('a', 'a2', 60);
    await sut.set('d', 'd', 60);
    expect(sut.size).toBe(3);
    expect(await sut.get('b')).toBeNull();
    expect([await sut.get('a'), await sut.get('c'), await sut.get('d')]).toEqual(['a2', 'c', 'd']);
    await sut.close();
  });

  it('counts its entries in health', async () => {
    const { sut } = setup();
    await sut.set('k', 1, 60);
    expect(await sut.health()).toEqual({ socket: 'cache', plug: 'memory', status: 'up', latencyMs: 0, detail: '1 entries' });
    await sut.close();
  });
});
