import { MemoryCacheAdapter } from './memory-cache.adapter';
import { ReadThroughCache } from './read-through-cache';

function setup() {
  const cache = new MemoryCacheAdapter();
  const sut = new ReadThroughCache(cache);
  return { sut, mocks: { cache } };
}

describe('ReadThroughCache', () => {
  let close: () => Promise<void>;
  afterEach(() => close());

  it('loads once on a miss, then answers from the cache', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    const loader = vi.fn(async () => ({ status: 'ready' }));
    expect(await sut.getOrLoad('session:s1:status', 60, loader)).toEqual({ status: 'ready' });
    expect(await sut.getOrLoad('session:s1:status', 60, loader)).toEqual({ status: 'ready' });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await mocks.cache.get('session:s1:status')).toEqual({ status: 'ready' });
  });

  it('shares one load between concurrent misses of the same key', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    let release!: (value: number) => void;
    const loader = vi.fn(() => new Promise<number>((resolve) => (release = resolve)));
    const calls = Promise.all([sut.getOrLoad('k', 60, loader), sut.getOrLoad('k', 60, loader), sut.getOrLoad('k', 60, loader)]);
    await vi.waitFor(() => expect(loader).toHaveBeenCalled());
    release(7);
    expect(await calls).toEqual([7, 7, 7]);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('does not cache a failed load: the error reaches the caller and the next call loads again', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    const loader = vi.fn().mockRejectedValueOnce(new Error('source down')).mockResolvedValueOnce('fresh');
    await expect(sut.getOrLoad('k', 60, loader)).rejects.toThrow('source down');
    expect(await mocks.cache.get('k')).toBeNull();
    expect(await sut.getOrLoad('k', 60, loader)).toBe('fresh');
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('returns but does not store null or undefined', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    const loader = vi.fn(async () => null);
    expect(await sut.getOrLoad('k', 60, loader)).toBeNull();
    expect(await sut.getOrLoad('k', 60, loader)).toBeNull();
    expect(loader).toHaveBeenCalledTimes(2);
    expect(await sut.getOrLoad('u', 60, async () => undefined)).toBeUndefined();
  });
});
