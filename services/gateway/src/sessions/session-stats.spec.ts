import type { MessageCount } from '@plugboard/database';
import { sessionView } from './__tests__/session-view';
import { scopedSessionStats, sessionStats } from './session-stats';

const AT = new Date('2030-01-02T00:00:00.000Z');
const NONE = { incoming: 0, outgoing: 0, failed: 0, pending: 0 };
const NO_STATUS = { created: 0, initializing: 0, qr_ready: 0, authenticating: 0, ready: 0, disconnected: 0, stopped: 0, failed: 0 };

const count = (sessionId: string, direction: MessageCount['direction'], status: MessageCount['status'], n: number): MessageCount => ({ sessionId, direction, status, count: n });

/** Three sessions: s1 busy, s2 only receiving, s3 quiet. */
function fixture() {
  const sessions = [sessionView(), sessionView({ id: 's2', name: 'two', status: 'qr_ready' }), sessionView({ id: 's3', name: 'three' })];
  const counts = [
    count('s1', 'outgoing', 'pending', 2),
    count('s1', 'outgoing', 'sending', 1),
    count('s1', 'outgoing', 'read', 4),
    count('s1', 'outgoing', 'failed', 3),
    count('s1', 'incoming', 'delivered', 5),
    count('s2', 'incoming', 'delivered', 7),
    count('s2', 'incoming', 'read', 1),
    // Deleted or created since the list was read: not a session of this document.
    count('gone', 'incoming', 'delivered', 100),
  ];
  return sessionStats(sessions, counts, AT);
}

describe('sessionStats', () => {
  it('counts each session by direction, failed and not yet sent (pending or sending) outgoing, with the window a day back', () => {
    expect(fixture()).toEqual({
      generatedAt: '2030-01-02T00:00:00.000Z',
      since: '2030-01-01T00:00:00.000Z',
      totals: { sessions: 3, byStatus: { ...NO_STATUS, ready: 2, qr_ready: 1 }, messages: { incoming: 13, outgoing: 10, failed: 3, pending: 3 } },
      sessions: [
        { id: 's1', name: 'one', status: 'ready', messages: { incoming: 5, outgoing: 10, failed: 3, pending: 3 } },
        { id: 's2', name: 'two', status: 'qr_ready', messages: { incoming: 8, outgoing: 0, failed: 0, pending: 0 } },
        { id: 's3', name: 'three', status: 'ready', messages: NONE },
      ],
    });
  });

  it('lists every status at 0 when there are no sessions', () => {
    expect(sessionStats([], [], AT).totals).toEqual({ sessions: 0, byStatus: NO_STATUS, messages: NONE });
  });
});

describe('scopedSessionStats', () => {
  it('keeps the sessions of the scope and adds the totals up again from them alone', () => {
    const stats = fixture();
    expect(scopedSessionStats(stats, ['s2', 's3', 'unknown'])).toEqual({
      generatedAt: stats.generatedAt,
      since: stats.since,
      totals: { sessions: 2, byStatus: { ...NO_STATUS, ready: 1, qr_ready: 1 }, messages: { incoming: 8, outgoing: 0, failed: 0, pending: 0 } },
      sessions: [stats.sessions[1], stats.sessions[2]],
    });
    expect(scopedSessionStats(stats, ['elsewhere']).totals).toEqual({ sessions: 0, byStatus: NO_STATUS, messages: NONE });
  });

  it('gives a key of every session the document as it is, and never changes the cached one', () => {
    const stats = fixture();
    const before = structuredClone(stats);
    expect(scopedSessionStats(stats, undefined)).toBe(stats);
    scopedSessionStats(stats, ['s1']);
    expect(stats).toEqual(before);
  });
});
