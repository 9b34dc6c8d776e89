import { MemoryCacheAdapter, ReadThroughCache } from '@plugboard/cache';
import { loadConfig } from '@plugboard/config';
import type { Database, MessageCount } from '@plugboard/database';
import { sessionView } from './__tests__/session-view';
import { SessionReadCache } from './session-read-cache';
import { SessionStatsService } from './session-stats.service';
import type { SessionsClient } from './sessions.client';

const T0 = Date.parse('2030-01-01T00:00:00Z');

/** The service over the memory cache, a session-worker answering two sessions and a database counting s1's messages; the clock is faked. */
function setup() {
  vi.useFakeTimers({ now: T0, toFake: ['Date'] });
  const cache = new MemoryCacheAdapter();
  const readCache = new SessionReadCache(new ReadThroughCache(cache), loadConfig({ env: {}, cwd: __dirname }));
  const request = vi.fn(async () => ({ sessions: [sessionView(), sessionView({ id: 's2', name: 'two' })] }));
  const counts: MessageCount[] = [{ sessionId: 's1', direction: 'incoming', status: 'delivered', count: 2 }];
  const countsSince = vi.fn(async () => counts);
  const sut = new SessionStatsService({ request } as unknown as SessionsClient, readCache, { messages: { countsSince } } as unknown as Database);
  const at = (seconds: number) => vi.setSystemTime(T0 + seconds * 1_000);
  return { sut, mocks: { cache, readCache, request, countsSince, at } };
}

describe('SessionStatsService', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await ctx.mocks.cache.close();
  });

  it("counts the listed sessions' messages of the last day in one query", async () => {
    const { sut, mocks } = ctx;
    const stats = await sut.get(undefined);
    expect(mocks.countsSince).toHaveBeenCalledExactlyOnceWith(['s1', 's2'], new Date(T0 - 24 * 3_600_000));
    expect(stats).toMatchObject({ generatedAt: new Date(T0).toISOString(), totals: { sessions: 2, messages: { incoming: 2 } } });
  });

  it('serves every key from one document for CACHE_TTL_SESSIONS_STATS_S (15 s), each cut to its sessions', async () => {
    const { sut, mocks } = ctx;
    const all = await sut.get(undefined);
    mocks.at(14.9);
    expect(await sut.get(undefined)).toEqual(all);
    expect(await sut.get(['s2'])).toMatchObject({ generatedAt: all.generatedAt, totals: { sessions: 1, messages: { incoming: 0 } }, sessions: [{ id: 's2' }] });
    expect([mocks.request.mock.calls.length, mocks.countsSince.mock.calls.length]).toEqual([1, 1]);
    mocks.at(15);
    await sut.get(['s1']);
    // The list (30 s) is still cached: a new count, no new bus request.
    expect([mocks.request.mock.calls.length, mocks.countsSince.mock.calls.length]).toEqual([1, 2]);
  });

  it('loads afresh after a session change dropped the list and the stats', async () => {
    const { sut, mocks } = ctx;
    await sut.get(undefined);
    await mocks.readCache.changed('s2');
    await sut.get(undefined);
    await mocks.readCache.listChanged();
    await sut.get(undefined);
    await mocks.readCache.forget('s1');
    await sut.get(undefined);
    expect([mocks.request.mock.calls.length, mocks.countsSince.mock.calls.length]).toEqual([4, 4]);
  });
});
