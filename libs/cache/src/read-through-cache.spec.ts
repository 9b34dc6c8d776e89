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

  it('keeps a value for what its TTL function answers, and not at all when that is 0 or less', async () => {
    const now = { ms: 0 };
    const cache = new MemoryCacheAdapter({ now: () => now.ms });
    close = () => cache.close();
    const sut = new ReadThroughCache(cache);
    const expiresIn = (value: { seconds: number }) => value.seconds;
    expect(await sut.getOrLoad('short', expiresIn, async () => ({ seconds: 5 }))).toEqual({ seconds: 5 });
    now.ms = 4_999;
    expect(await cache.get('short')).toEqual({ seconds: 5 });
    now.ms = 5_000;
    expect(await cache.get('short')).toBeNull();
    expect(await sut.getOrLoad('stale', expiresIn, async () => ({ seconds: -1 }))).toEqual({ seconds: -1 });
    expect(await cache.get('stale')).toBeNull();
  });

  it('drops a key on invalidate, and a load under way then answers its callers without storing', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    await mocks.cache.set('k', 'old', 60);
    await sut.invalidate('k');
    expect(await mocks.cache.get('k')).toBeNull();

    let release!: (value: string) => void;
    const slow = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const before = sut.getOrLoad('k', 60, slow);
    await vi.waitFor(() => expect(slow).toHaveBeenCalled());
    await sut.invalidate('k');
    // A read after the change does not join the load that started before it.
    const after = sut.getOrLoad('k', 60, async () => 'new');
    expect(await after).toBe('new');
    release('from before the change');
    expect(await before).toBe('from before the change');
    expect(await mocks.cache.get('k')).toBe('new');
  });

  it('invalidates every key under a prefix, loads under way included', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    await mocks.cache.set('session:a:info', 1, 60);
    await mocks.cache.set('session:a:qr', 2, 60);
    await mocks.cache.set('session:b:info', 3, 60);
    let release!: (value: number) => void;
    const slow = vi.fn(() => new Promise<number>((resolve) => (release = resolve)));
    const load = sut.getOrLoad('session:a:status', 60, slow);
    await vi.waitFor(() => expect(slow).toHaveBeenCalled());
    await sut.invalidatePrefix('session:a:');
    release(4);
    expect(await load).toBe(4);
    expect([await mocks.cache.get('session:a:info'), await mocks.cache.get('session:a:qr'), await mocks.cache.get('session:a:status')]).toEqual([null, null, null]);
    expect(await mocks.cache.get('session:b:info')).toBe(3);
  });

  it('put stores a current value that a load under way does not overwrite', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    let release!: (value: string) => void;
    const slow = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const load = sut.getOrLoad('k', 60, slow);
    await vi.waitFor(() => expect(slow).toHaveBeenCalled());
    await sut.put('k', 'from the event', 60);
    release('from the source, older');
    await load;
    expect(await sut.getOrLoad('k', 60, async () => 'unused')).toBe('from the event');
  });
});
