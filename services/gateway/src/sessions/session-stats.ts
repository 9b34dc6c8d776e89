import { SESSION_STATUS_VALUES, type SessionStatusValue, type SessionView } from '@plugboard/contracts';
import type { MessageCount, MessageStatus } from '@plugboard/database';
import type { SessionScope } from '../auth/session-scope';

/** How far back the message counts of `GET /api/sessions/stats` reach. */
const STATS_WINDOW_MS = 24 * 60 * 60 * 1_000;

/** Outgoing messages of the window not yet handed to WhatsApp. */
const NOT_YET_SENT: ReadonlySet<MessageStatus> = new Set(['pending', 'sending']);

/** Messages of the window: received, sent (whatever became of them), and of those sent, the failed and the not yet out. */
export interface MessageTally {
  incoming: number;
  outgoing: number;
  failed: number;
  pending: number;
}

export interface SessionStatsEntry {
  id: string;
  name: string;
  status: SessionStatusValue;
  messages: MessageTally;
}

/** What `GET /api/sessions/stats` answers; the totals always add up the sessions listed. */
export interface SessionStats {
  generatedAt: string;
  since: string;
  totals: { sessions: number; byStatus: Record<SessionStatusValue, number>; messages: MessageTally };
  sessions: SessionStatsEntry[];
}

/** The stats of `sessions` at `generatedAt`, from the window's grouped message counts. */
export function sessionStats(sessions: readonly SessionView[], counts: readonly MessageCount[], generatedAt: Date): SessionStats {
  const tallies = new Map(sessions.map((session) => [session.id, emptyTally()]));
  for (const { sessionId, direction, status, count } of counts) {
    const tally = tallies.get(sessionId);
    // A session created after the list was read: it shows up with the next document.
    if (!tally) continue;
    tally[direction] += count;
    if (direction !== 'outgoing') continue;
    if (status === 'failed') tally.failed += count;
    if (NOT_YET_SENT.has(status)) tally.pending += count;
  }
  const entries = sessions.map(({ id, name, status }) => ({ id, name, status, messages: tallies.get(id)! }));
  return withTotals(generatedAt.toISOString(), statsSince(generatedAt).toISOString(), entries);
}

/** Where the window of stats generated at `generatedAt` starts: a day before. */
export function statsSince(generatedAt: Date): Date {
  return new Date(generatedAt.getTime() - STATS_WINDOW_MS);
}

/** The stats as a key limited to `allowed` sees them: its sessions only, the totals added up again from those. */
export function scopedSessionStats(stats: SessionStats, allowed: SessionScope): SessionStats {
  if (allowed === undefined) return stats;
  const visible = new Set(allowed);
  return withTotals(stats.generatedAt, stats.since, stats.sessions.filter((session) => visible.has(session.id)));
}

function withTotals(generatedAt: string, since: string, sessions: SessionStatsEntry[]): SessionStats {
  // Every status, 0 included: a dashboard gets the same keys whatever runs.
  const byStatus = Object.fromEntries(SESSION_STATUS_VALUES.map((status) => [status, 0])) as Record<SessionStatusValue, number>;
  const messages = emptyTally();
  for (const session of sessions) {
    byStatus[session.status] += 1;
    for (const key of Object.keys(messages) as (keyof MessageTally)[]) messages[key] += session.messages[key];
  }
  return { generatedAt, since, totals: { sessions: sessions.length, byStatus, messages }, sessions };
}

function emptyTally(): MessageTally {
  return { incoming: 0, outgoing: 0, failed: 0, pending: 0 };
}
