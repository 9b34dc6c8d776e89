import { CacheKeys, MemoryCacheAdapter, ReadThroughCache } from '@plugboard/cache';
import { type AppConfig, loadConfig } from '@plugboard/config';
import { sessionView } from './__tests__/session-view';
import { SessionReadCache } from './session-read-cache';
import { sessionStats } from './session-stats';

const T0 = Date.parse('2030-01-01T00:00:00Z');

/** A read cache over the memory plug with the TTLs of `env`; the clock is faked, so TTLs can be walked through. */
function setup(env: Record<string, string> = {}) {
  vi.useFakeTimers({ now: T0, toFake: ['Date'] });
  const config: AppConfig = loadConfig({ env, cwd: __dirname });
  const cache = new MemoryCacheAdapter();
  const sut = new SessionReadCache(new ReadThroughCache(cache), config);
  const at = (seconds: number) => vi.setSystemTime(T0 + seconds * 1_000);
  return { sut, mocks: { cache, at } };
}

describe('SessionReadCache', () => {
  let close: () => Promise<void>;
  afterEach(async () => {
    vi.useRealTimers();
    await close();
  });

  it('loads details and the list once, then answers from the cache until their TTLs run out', async () => {
    const { sut, mocks } = setup({ CACHE_TTL_SESSION_INFO_S: '20', CACHE_TTL_SESSIONS_LIST_S: '5' });
    close = () => mocks.cache.close();
    const loadInfo = vi.fn(async () => sessionView());
    const loadList = vi.fn(async () => ({ sessions: [sessionView()] }));
    const read = () => Promise.all([sut.info('s1', loadInfo), sut.list(loadList)]);
    await read();
    mocks.at(4.9);
    expect(await read()).toEqual([sessionView(), { sessions: [sessionView()] }]);
    expect([loadInfo.mock.calls.length, loadList.mock.calls.length]).toEqual([1, 1]);
    mocks.at(5);
    await read();
    expect([loadInfo.mock.calls.length, loadList.mock.calls.length]).toEqual([1, 2]);
    mocks.at(20);
    await read();
    expect([loadInfo.mock.calls.length, loadList.mock.calls.length]).toEqual([2, 3]);
  });

  it('has the documented TTLs by default', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    const loadInfo = vi.fn(async () => sessionView());
    const loadList = vi.fn(async () => ({ sessions: [] }));
    await Promise.all([sut.info('s1', loadInfo), sut.list(loadList), sut.stats(async () => sessionStats([], [], new Date()))]);
    mocks.at(14.9);
    expect(await mocks.cache.get(CacheKeys.sessionsStats())).not.toBeNull();
    mocks.at(15);
    expect(await mocks.cache.get(CacheKeys.sessionsStats())).toBeNull();
    mocks.at(29.9);
    expect(await mocks.cache.get(CacheKeys.sessionsList())).not.toBeNull();
    mocks.at(30);
    expect(await mocks.cache.get(CacheKeys.sessionsList())).toBeNull();
    mocks.at(599.9);
    expect(await mocks.cache.get(CacheKeys.sessionInfo('s1'))).not.toBeNull();
    mocks.at(600);
    expect(await mocks.cache.get(CacheKeys.sessionInfo('s1'))).toBeNull();
  });

  it('keeps a QR code for CACHE_TTL_QR_S at most, and never past its own expiry', async () => {
    const { sut, mocks } = setup({ CACHE_TTL_QR_S: '10' });
    close = () => mocks.cache.close();
    const expiresIn = (seconds: number) => ({ qr: `qr-${seconds}`, expiresAt: new Date(T0 + seconds * 1_000).toISOString() });
    await sut.qr('long', async () => expiresIn(60));
    await sut.qr('short', async () => expiresIn(3));
    await sut.qr('gone', async () => expiresIn(-1));
    mocks.at(2.9);
    expect(await mocks.cache.get(CacheKeys.sessionQr('short'))).toEqual(expiresIn(3));
    mocks.at(3);
    expect(await mocks.cache.get(CacheKeys.sessionQr('short'))).toBeNull();
    expect(await mocks.cache.get(CacheKeys.sessionQr('gone'))).toBeNull();
    mocks.at(9.9);
    expect(await mocks.cache.get(CacheKeys.sessionQr('long'))).toEqual(expiresIn(60));
    mocks.at(10);
    expect(await mocks.cache.get(CacheKeys.sessionQr('long'))).toBeNull();
  });

  it('replaces the QR code a session.qr event brings, and drops an expired one', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    const first = { qr: 'first', expiresAt: new Date(T0 + 20_000).toISOString() };
    const second = { qr: 'second', expiresAt: new Date(T0 + 40_000).toISOString() };
    await sut.qr('s1', async () => first);
    await sut.qrShown('s1', second);
    expect(await sut.qr('s1', async () => first)).toEqual(second);
    await sut.qrShown('s1', { qr: 'late', expiresAt: new Date(T0 - 1).toISOString() });
    expect(await mocks.cache.get(CacheKeys.sessionQr('s1'))).toBeNull();
  });

  it('drops details, QR, list and stats on a change, list and stats alone on a creation, and status too on forget', async () => {
    const { sut, mocks } = setup();
    close = () => mocks.cache.close();
    const fill = async () => {
      await sut.info('s1', async () => sessionView());
      await sut.info('s2', async () => sessionView({ id: 's2' }));
      await sut.qr('s1', async () => ({ qr: 'q', expiresAt: new Date(T0 + 20_000).toISOString() }));
      await sut.list(async () => ({ sessions: [sessionView()] }));
      await sut.stats(async () => sessionStats([sessionView()], [], new Date()));
      await mocks.cache.set(CacheKeys.sessionStatus('s1'), { id: 's1', status: 'ready' }, 60);
    };
    const held = async () => {
      const keys = [CacheKeys.sessionInfo('s1'), CacheKeys.sessionQr('s1'), CacheKeys.sessionsList(), CacheKeys.sessionsStats(), CacheKeys.sessionStatus('s1'), CacheKeys.sessionInfo('s2')];
      const values = await Promise.all(keys.map((key) => mocks.cache.get(key)));
      return keys.filter((_, i) => values[i] !== null);
    };
    await fill();
    await sut.changed('s1');
    expect(await held()).toEqual(['session:s1:status', 'session:s2:info']);
    await fill();
    await sut.listChanged();
    expect(await held()).toEqual(['session:s1:info', 'session:s1:qr', 'session:s1:status', 'session:s2:info']);
    await fill();
    await sut.forget('s1');
    expect(await held()).toEqual(['session:s2:info']);
  });
});
