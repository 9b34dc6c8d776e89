import type { MessageStatus } from '../entities/message.entity';
import type { SqlStatements } from './sql-statements';

export interface TransitionSqlOptions {
  generation?: number;
  waMessageId?: string;
  failureReason?: string;
  at?: Date;
}

/** Which row a transition targets: by our id, or by the WhatsApp id an ack names. */
export type TransitionTarget = { id: string } | { sessionId: string; waMessageId: string };

/**
 * The WHERE condition that lets a row move to `to`: the statuses it may come from, written
 * as SQL so the move is one conditional UPDATE. It must say exactly what `canTransition`
 * says (message-status.ts); message-transition-sql.int-spec.ts checks the two agree.
 */
function fromCondition(to: MessageStatus, generation: number | undefined): { sql: string; params: unknown[] } {
  switch (to) {
    case 'failed':
      return { sql: `"status" in ('pending', 'sending')`, params: [] };
    case 'pending':
      if (generation === undefined) return { sql: '1 = 0', params: [] };
      return { sql: `"status" = 'sending' and "lease_generation" = ?`, params: [generation] };
    case 'sending':
      if (generation === undefined) return { sql: '1 = 0', params: [] };
      return { sql: `("status" = 'pending' or ("status" = 'sending' and coalesce("lease_generation", -1) < ?))`, params: [generation] };
    case 'sent':
      return { sql: `"status" = 'sending'`, params: [] };
    case 'delivered':
      return { sql: `"status" in ('sending', 'sent')`, params: [] };
    case 'read':
      return { sql: `"status" in ('sending', 'sent', 'delivered')`, params: [] };
  }
}

/**
 * One statement that moves a message to `to` when the rules allow and returns the row
 * after the move (no row: not found, not allowed, or fenced). A move to `sending` also
 * requires the session's lease to be held at `generation`; on PostgreSQL the session row is
 * read FOR SHARE, so the claim and a takeover (which updates that row) are ordered — a
 * claim that waited re-checks the lease the takeover wrote. On SQLite the statement runs
 * under the database's single write lock, which orders it the same way.
 */
export function transitionStatement(
  sql: SqlStatements,
  target: TransitionTarget,
  to: MessageStatus,
  options: TransitionSqlOptions,
  returning: string,
): { text: string; params: unknown[] } {
  const at = options.at ?? new Date();
  const sets: string[] = ['"status" = ?', '"updated_at" = ?', `"timeline" = ${sql.appendJson('"timeline"')}`];
  const setParams: unknown[] = [to, sql.date(new Date()), JSON.stringify({ status: to, at: at.toISOString() })];
  if (options.waMessageId !== undefined) {
    sets.push('"wa_message_id" = ?');
    setParams.push(options.waMessageId);
  }
  if (to === 'sending') {
    sets.push('"lease_generation" = ?');
    setParams.push(options.generation);
  }
  if (to === 'failed') {
    sets.push('"failure_reason" = ?');
    setParams.push(options.failureReason ?? 'unknown');
  }
  // A later ack implies the earlier steps happened, even if their events were lost.
  if (to === 'sent' || to === 'delivered' || to === 'read') {
    sets.push('"sent_at" = coalesce("sent_at", ?)');
    setParams.push(sql.date(at));
  }
  if (to === 'delivered' || to === 'read') {
    sets.push('"delivered_at" = coalesce("delivered_at", ?)');
    setParams.push(sql.date(at));
  }
  if (to === 'read') {
    sets.push('"read_at" = ?');
    setParams.push(sql.date(at));
  }

  const where: string[] = [];
  const whereParams: unknown[] = [];
  if ('id' in target) {
    where.push('"id" = ?');
    whereParams.push(target.id);
  } else {
    where.push('"session_id" = ? and "wa_message_id" = ?');
    whereParams.push(target.sessionId, target.waMessageId);
  }
  const from = fromCondition(to, options.generation);
  where.push(from.sql);
  whereParams.push(...from.params);
  if (to === 'sending') {
    const lock = sql.dialect === 'postgres' ? ' for share' : '';
    where.push(
      `exists (select 1 from "sessions" where "sessions"."id" = "messages"."session_id" and "lease_owner" is not null and "lease_generation" = ?${lock})`,
    );
    whereParams.push(options.generation);
  }
  return {
    text: `update "messages" set ${sets.join(', ')} where ${where.join(' and ')} returning ${returning}`,
    params: [...setParams, ...whereParams],
  };
}
