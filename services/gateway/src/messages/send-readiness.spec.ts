import { ErrorCode } from '@plugboard/contracts';
import type { Database, SessionStatus } from '@plugboard/database';
import type { SessionStatusCache } from '../sessions/session-status-cache';
import { SendReadiness } from './send-readiness';

function setup(cached: SessionStatus) {
  const statusCache = { get: vi.fn(async (id: string) => ({ id, status: cached })) };
  const sessions = { get: vi.fn(async (id: string) => ({ id, phone: '4915550001', status: cached })) };
  const sut = new SendReadiness({ sessions } as unknown as Database, statusCache as unknown as SessionStatusCache, false);
  return { sut, mocks: { statusCache, sessions } };
}

describe('SendReadiness', () => {
  it('reads the status of a session once for the sends arriving while that read is in flight', async () => {
    const { sut, mocks } = setup('ready');
    await sut.require('s1');
    mocks.statusCache.get.mockClear();
    const senders = await Promise.all([sut.require('s1'), sut.require('s1'), sut.require('s2'), sut.require('s1')]);
    expect(senders.map((s) => s.id)).toEqual(['s1', 's1', 's2', 's1']);
    expect(mocks.statusCache.get.mock.calls.map(([id]) => id)).toEqual(['s1', 's2']);
    // Once settled, the next send reads again.
    await sut.require('s1');
    expect(mocks.statusCache.get).toHaveBeenCalledTimes(3);
  });

  it('refuses every send of a shared read that found the session not ready', async () => {
    const { sut } = setup('qr_ready');
    const outcomes = await Promise.allSettled([sut.require('s1'), sut.require('s1')]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.SessionNotReady, details: { status: 'qr_ready' } } });
    }
  });
});
