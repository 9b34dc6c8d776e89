import type { MessageStatus } from '../entities/message.entity';
import type { SqlStatements } from './sql-statements';

export interface TransitionSqlOptions {
  generation?: number;
  waMessageId?: string;
  failureReason?: string;
  at?: Date;
}

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

/** Rows of one statement: all by our id, or all by WhatsApp id within one session. */
export type TransitionKeys = { ids: string[] } | { sessionId: string; waMessageIds: string[] };

/**
 * One statement that moves every row of `keys` to `to` where the rules allow, and returns
 * the rows after the move (a row left out: not found, not allowed, or fenced). Per-row
 * values (WhatsApp id, time, reason) come from `optionsOf` through CASE on the key column,
 * so a tick's worth of claims or acks costs one round trip. A move to `sending` also
 * requires the session's lease to be held at `generation`; on PostgreSQL the session row is
 * read FOR SHARE, so the claim and a takeover (which updates that row) are ordered — a
 * claim that waited re-checks the lease the takeover wrote. On SQLite the statement runs
 * under the database's single write lock, which orders it the same way.
 */
export function transitionStatement(
  sql: SqlStatements,
  keys: TransitionKeys,
  to: MessageStatus,
  generation: number | undefined,
  optionsOf: (key: string) => TransitionSqlOptions,
  returning: string,
): { text: string; params: unknown[] } {
  const byId = 'ids' in keys;
  const keyColumn = byId ? '"id"' : '"wa_message_id"';
  const list = byId ? keys.ids : keys.waMessageIds;
  const options = list.map(optionsOf);
  const now = new Date();
  const at = options.map((o) => o.at ?? now);

  /** `case <key> when ? then <value> … end`, one branch per row. */
  const perRow = (value: (i: number) => unknown, placeholder = '?') => {
    const params: unknown[] = [];
    const branches = list.map((key, i) => {
      params.push(key, value(i));
      return `when ? then ${placeholder}`;
    });
    return { sql: `case ${keyColumn} ${branches.join(' ')} end`, params };
  };

  const sets: string[] = ['"status" = ?', '"updated_at" = ?'];
  const params: unknown[] = [to, sql.date(now)];
  const set = (column: string, expression: { sql: string; params: unknown[] }, wrap = (e: string) => e) => {
    sets.push(`"${column}" = ${wrap(expression.sql)}`);
    params.push(...expression.params);
  };
  set('timeline', perRow((i) => JSON.stringify({ status: to, at: at[i].toISOString() })), (e) => sql.appendJson('"timeline"', e));
  if (options.some((o) => o.waMessageId !== undefined)) {
    set('wa_message_id', perRow((i) => options[i].waMessageId ?? null), (e) => `coalesce(${e}, "wa_message_id")`);
  }
  if (to === 'sending') {
    sets.push('"lease_generation" = ?');
    params.push(generation);
  }
  if (to === 'failed') set('failure_reason', perRow((i) => options[i].failureReason ?? 'unknown'));
  // A later ack implies the earlier steps happened, even if their events were lost.
  const atColumn = () => perRow((i) => sql.date(at[i]), sql.param('timestamptz'));
  if (to === 'sent' || to === 'delivered' || to === 'read') set('sent_at', atColumn(), (e) => `coalesce("sent_at", ${e})`);
  if (to === 'delivered' || to === 'read') set('delivered_at', atColumn(), (e) => `coalesce("delivered_at", ${e})`);
  if (to === 'read') set('read_at', atColumn());

  const where: string[] = [`${keyColumn} in (${sql.placeholders(list.length)})`];
  params.push(...list);
  if (!byId) {
    where.push('"session_id" = ?');
    params.push(keys.sessionId);
  }
  const from = fromCondition(to, generation);
  where.push(from.sql);
  params.push(...from.params);
  if (to === 'sending') {
    const lock = sql.dialect === 'postgres' ? ' for share' : '';
    where.push(
      `exists (select 1 from "sessions" where "sessions"."id" = "messages"."session_id" and "lease_owner" is not null and "lease_generation" = ?${lock})`,
    );
    params.push(generation);
  }
  return { text: `update "messages" set ${sets.join(', ')} where ${where.join(' and ')} returning ${returning}`, params };
}
