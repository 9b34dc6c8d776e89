import { randomUUID } from 'node:crypto';
import { CacheKeys, MemoryCacheAdapter, ReadThroughCache } from '@plugboard/cache';
import { loadConfig } from '@plugboard/config';
import { EVENT_ENVELOPE_VERSION, type EventType } from '@plugboard/contracts';
import { MemoryBusAdapter } from '@plugboard/messaging';
import type { ServiceLogger } from '@plugboard/service-kit';
import { sessionView } from './__tests__/session-view';
import { SessionCacheEvents } from './session-cache-events';
import { SessionReadCache } from './session-read-cache';
import { sessionStats } from './session-stats';
import { SessionStatusCache } from './session-status-cache';

const inAMinute = () => new Date(Date.now() + 60_000).toISOString();

async function setup() {
  const config = loadConfig({ env: {}, cwd: __dirname });
  const bus = new MemoryBusAdapter();
  const cache = new MemoryCacheAdapter();
  const readThrough = new ReadThroughCache(cache);
  const statusCache = new SessionStatusCache(cache, readThrough, config);
  const readCache = new SessionReadCache(readThrough, config);
  const sut = new SessionCacheEvents(bus, statusCache, readCache, { warn: vi.fn() } as unknown as ServiceLogger);
  await sut.onApplicationBootstrap();
  const publish = (sessionId: string, type: EventType, data: Record<string, unknown>) =>
    bus.publishEvent({ id: randomUUID(), type, version: EVENT_ENVELOPE_VERSION, sessionId, occurredAt: new Date().toISOString(), data });
  /** Everything cached about `s1`, the list and the stats, by the last part of the key. */
  const cached = async () => ({
    status: await cache.get(CacheKeys.sessionStatus('s1')),
    info: await cache.get(CacheKeys.sessionInfo('s1')),
    qr: await cache.get(CacheKeys.sessionQr('s1')),
    list: await cache.get(CacheKeys.sessionsList()),
    stats: await cache.get(CacheKeys.sessionsStats()),
  });
  const fill = async () => {
    await readCache.info('s1', async () => sessionView());
    await readCache.list(async () => ({ sessions: [sessionView()] }));
    await readCache.stats(async () => sessionStats([sessionView()], [], new Date()));
    await readCache.qr('s1', async () => ({ qr: 'old', expiresAt: inAMinute() }));
  };
  const close = async () => {
    await sut.onModuleDestroy();
    await bus.close();
    await cache.close();
  };
  return { sut, mocks: { publish, cached, fill, cache }, close };
}

describe('SessionCacheEvents', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    ctx = await setup();
  });
  afterEach(() => ctx.close());

  it('on session.status: sets the status, drops details, QR, list and stats', async () => {
    const { mocks } = ctx;
    await mocks.fill();
    await mocks.publish('s1', 'session.status', { status: 'authenticating', previous: 'qr_ready' });
    await vi.waitFor(async () => expect(await mocks.cached()).toEqual({ status: { id: 's1', status: 'authenticating' }, info: null, qr: null, list: null, stats: null }));
  });

  it('drops the status on a stop rather than keeping "stopped"', async () => {
    const { mocks } = ctx;
    await mocks.cache.set(CacheKeys.sessionStatus('s1'), { id: 's1', status: 'ready' }, 60);
    await mocks.publish('s1', 'session.status', { status: 'stopped', previous: 'ready' });
    await vi.waitFor(async () => expect((await mocks.cached()).status).toBeNull());
  });

  it('on session.qr: replaces the code and leaves the rest; a code arriving in order after qr_ready survives it', async () => {
    const { mocks } = ctx;
    await mocks.fill();
    const fresh = { qr: 'fresh', expiresAt: inAMinute() };
    await mocks.publish('s1', 'session.status', { status: 'qr_ready', previous: 'initializing' });
    await mocks.publish('s1', 'session.qr', fresh);
    await vi.waitFor(async () => expect((await mocks.cached()).qr).toEqual(fresh));
    await mocks.fill();
    const next = { qr: 'next', expiresAt: inAMinute() };
    await mocks.publish('s1', 'session.qr', next);
    await vi.waitFor(async () => expect((await mocks.cached()).qr).toEqual(next));
    expect((await mocks.cached()).info).not.toBeNull();
    expect((await mocks.cached()).list).not.toBeNull();
    expect((await mocks.cached()).stats).not.toBeNull();
  });

  it('on other session events (authenticated, disconnected) or malformed data: drops, never stores', async () => {
    const { mocks } = ctx;
    for (const [type, data] of [
      ['session.authenticated', {}],
      ['session.disconnected', { reason: 'network' }],
      ['session.qr', { qr: 42 }],
      ['session.status', { status: 'sleeping' }],
    ] as const) {
      await mocks.fill();
      await mocks.publish('s1', type, data);
      await vi.waitFor(async () => expect(await mocks.cached()).toEqual({ status: null, info: null, qr: null, list: null, stats: null }), { timeout: 2_000 });
    }
  });

  it('on session.created: drops the list and stats only (nothing else can be cached about a new session)', async () => {
    const { mocks } = ctx;
    await mocks.fill();
    await mocks.cache.set(CacheKeys.sessionStatus('s1'), { id: 's1', status: 'ready' }, 60);
    await mocks.publish('s1', 'session.created', { id: 's1', name: 'one', engine: 'simulator', status: 'created', desiredState: 'running', createdAt: new Date().toISOString() });
    await vi.waitFor(async () => expect((await mocks.cached()).list).toBeNull());
    expect(await mocks.cached()).toMatchObject({ status: { id: 's1', status: 'ready' }, info: sessionView(), qr: { qr: 'old' }, stats: null });
  });

  it('on session.deleted: drops everything about the session, status included, the list and stats', async () => {
    const { mocks } = ctx;
    await mocks.fill();
    await mocks.cache.set(CacheKeys.sessionStatus('s1'), { id: 's1', status: 'created' }, 60);
    await mocks.publish('s1', 'session.deleted', { id: 's1', name: 'gone', deletedAt: new Date().toISOString() });
    await vi.waitFor(async () => expect(await mocks.cached()).toEqual({ status: null, info: null, qr: null, list: null, stats: null }));
  });

  it('leaves other sessions alone', async () => {
    const { mocks } = ctx;
    await mocks.fill();
    await mocks.publish('s2', 'session.authenticated', {});
    await mocks.publish('s1', 'session.qr', { qr: 'marker', expiresAt: inAMinute() });
    await vi.waitFor(async () => expect((await mocks.cached()).qr).toMatchObject({ qr: 'marker' }));
    // The list and stats hold every session, so they go; s1's own entries stay.
    expect(await mocks.cached()).toMatchObject({ info: sessionView(), list: null, stats: null });
  });
});
