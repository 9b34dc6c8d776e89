import { type EntityManager, type EntityData, type FilterQuery, type MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ErrorCode } from '@plugboard/contracts';
import { DatabaseError } from '../database.errors';
import {
  type MessageDirection,
  MessageEntity,
  type MessageStatus,
  type MessageType,
} from '../entities/message.entity';
import { guardDriverErrors } from './guard-driver-errors';
import { decodeMessageCursor, encodeMessageCursor } from './message-cursor';
import { canTransition } from './message-status';
import { MESSAGE_COLUMNS, messageFromRow } from './message-rows';
import { PendingMessageInserts } from './pending-message-inserts';
import { type TransitionKeys, transitionStatement } from './message-transition-sql';
import { TickBatches } from './tick-batches';
import { SqlStatements } from './sql-statements';

/** The columns every new message row has, whichever way it goes. */
export interface NewMessageBase {
  sessionId: string;
  chatId: string;
  from: string;
  to: string;
  type: MessageType;
  body?: string | null;
  mediaId?: string | null;
  payload?: Record<string, unknown>;
}

export interface NewOutgoingMessage extends NewMessageBase {
  /** Same key twice for one session → the first row, not a second message. */
  idempotencyKey?: string | null;
  batchId?: string | null;
  /** Not sent before this instant (bulk spacing); defaults to now. */
  dueAt?: Date;
}

export interface NewIncomingMessage extends NewMessageBase {
  waMessageId: string;
  /** When WhatsApp says it was sent; defaults to now. */
  at?: Date;
}

export interface InsertResult {
  message: MessageEntity;
  /** False when an earlier row with the same idempotency key (or WhatsApp id) was returned instead. */
  created: boolean;
}

export interface TransitionOptions {
  /** Required for `sending`: the caller's lease generation, checked against the session. */
  generation?: number;
  waMessageId?: string;
  failureReason?: string;
  at?: Date;
}

export type TransitionResult =
  | { applied: true; message: MessageEntity }
  | { applied: false; reason: 'not_found' | 'invalid_transition' | 'fenced'; message: MessageEntity | null };

export interface MessageHistoryQuery {
  chatId?: string;
  direction?: MessageDirection;
  type?: MessageType;
  status?: MessageStatus;
  /** Inclusive lower bound on createdAt. */
  from?: Date;
  /** Exclusive upper bound on createdAt. */
  to?: Date;
  limit?: number;
  cursor?: string;
}

export interface DueQuery {
  /** Rows due at or before this instant. */
  now: Date;
  limit: number;
  /** Rows the caller already holds (in its send lanes): left out. */
  excludeIds?: Iterable<string>;
}

/** One group of `countsSince`: how many messages of a session went one way and are now in one status. */
export interface MessageCount {
  sessionId: string;
  direction: MessageDirection;
  status: MessageStatus;
  count: number;
}

export interface MessagePage {
  items: MessageEntity[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
// Sessions per statement of `countsSince`: far below SQLite's and PostgreSQL's bind limits.
const COUNT_SESSIONS_CHUNK = 1_000;
// Optimistic retries of a transition that lost a race to another transition of the same row.
const TRANSITION_ATTEMPTS = 5;

/**
 * Messages: the row is the truth of a send. A status change is one conditional UPDATE on
 * the statuses it may come from, so concurrent acks can never move a row backwards. The
 * send path's statements are written by hand (see SqlStatements); the rest uses the ORM.
 */
export class MessageRepository {
  private readonly sql: SqlStatements;
  private readonly moves: TickBatches<TransitionOptions, TransitionResult>;
  private readonly pendingInserts: PendingMessageInserts;

  constructor(private readonly orm: MikroORM) {
    this.sql = new SqlStatements(orm);
    this.moves = new TickBatches((group, items) => this.moveBatch(group, items));
    this.pendingInserts = new PendingMessageInserts(this.sql);
  }

  /**
   * Writes an outgoing message as `pending`; an existing idempotency key returns that row
   * with `created: false` (the insert does nothing on the unique key). Concurrent sends of
   * a session share one statement (see PendingMessageInserts).
   */
  insertPending(input: NewOutgoingMessage): Promise<InsertResult> {
    return this.pendingInserts.insert(input);
  }

  /** Records a received message once per WhatsApp id (redelivered events return the first row). */
  recordIncoming(input: NewIncomingMessage): Promise<InsertResult> {
    return guardDriverErrors(async () => {
      const at = input.at ?? new Date();
      return this.insertOrFind(
        {
          ...base(input),
          waMessageId: input.waMessageId,
          direction: 'incoming',
          status: 'delivered',
          timeline: [{ status: 'delivered', at: at.toISOString() }],
          deliveredAt: at,
          createdAt: at,
          dueAt: at,
          updatedAt: at,
        },
        { sessionId: input.sessionId, waMessageId: input.waMessageId },
      );
    });
  }

  get(id: string): Promise<MessageEntity | null> {
    return guardDriverErrors(() => this.findOne('"id" = ?', [id]));
  }

  findByWaMessageId(sessionId: string, waMessageId: string): Promise<MessageEntity | null> {
    return guardDriverErrors(() => this.em().findOne(MessageEntity, { sessionId, waMessageId }));
  }

  /**
   * Moves a message to `to` when the rules allow (see `canTransition`) and appends it to the
   * timeline, in one conditional UPDATE shared with the other moves to `to` made in the same
   * turn of the event loop (see TickBatches). `sending` is fenced: it applies only while the
   * session's lease is held at `options.generation` (see `transitionStatement`), so a worker
   * that lost the lease cannot start a send.
   */
  transition(id: string, to: MessageStatus, options: TransitionOptions = {}): Promise<TransitionResult> {
    if (to === 'sending' && options.generation === undefined) return Promise.reject(needsGeneration());
    return this.moves.add(`${to}\n${options.generation ?? ''}\n`, id, options);
  }

  /** `transition` of the outgoing message WhatsApp knows as `waMessageId` (an ack), batched the same way. */
  transitionByWaMessageId(sessionId: string, waMessageId: string, to: MessageStatus, options: TransitionOptions = {}): Promise<TransitionResult> {
    if (to === 'sending' && options.generation === undefined) return Promise.reject(needsGeneration());
    return this.moves.add(`${to}\n${options.generation ?? ''}\n${sessionId}`, waMessageId, options);
  }

  /**
   * WhatsApp refused a message it had taken (an error ack): `sent` → `failed` with `reason`.
   * A path of its own, by WhatsApp id and from `sent` only: `transition` never fails a sent
   * message, so a batch cancel racing a send cannot undo it. Says why when it does not apply.
   */
  markRefused(sessionId: string, waMessageId: string, reason: string, at = new Date()): Promise<TransitionResult> {
    return guardDriverErrors(async () => {
      const [moved] = await this.sql.rows(
        `update "messages" set "status" = 'failed', "failure_reason" = ?, "updated_at" = ?, "timeline" = ${this.sql.appendJson('"timeline"', '?')} ` +
          `where "session_id" = ? and "wa_message_id" = ? and "status" = 'sent' returning ${MESSAGE_COLUMNS}`,
        [reason, this.sql.date(at), JSON.stringify({ status: 'failed', at: at.toISOString() }), sessionId, waMessageId],
      );
      if (moved) return { applied: true, message: messageFromRow(this.sql, moved) };
      const current = await this.findOne('"session_id" = ? and "wa_message_id" = ?', [sessionId, waMessageId]);
      return current ? { applied: false, reason: 'invalid_transition', message: current } : { applied: false, reason: 'not_found', message: null };
    });
  }

  /**
   * One page of a session's history, newest first, keyset-paginated on (createdAt, id) so
   * pages neither skip nor repeat rows while new messages arrive.
   */
  history(sessionId: string, query: MessageHistoryQuery = {}): Promise<MessagePage> {
    return guardDriverErrors(async () => {
      const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
      const conditions: FilterQuery<MessageEntity>[] = [{ sessionId }];
      if (query.chatId !== undefined) conditions.push({ chatId: query.chatId });
      if (query.direction !== undefined) conditions.push({ direction: query.direction });
      if (query.type !== undefined) conditions.push({ type: query.type });
      if (query.status !== undefined) conditions.push({ status: query.status });
      if (query.from !== undefined) conditions.push({ createdAt: { $gte: query.from } });
      if (query.to !== undefined) conditions.push({ createdAt: { $lt: query.to } });
      if (query.cursor !== undefined) {
        const after = decodeMessageCursor(query.cursor);
        conditions.push({
          $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, id: { $lt: after.id } }],
        });
      }
      const rows = await this.em().find(
        MessageEntity,
        { $and: conditions },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit: limit + 1 },
      );
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      const nextCursor = rows.length > limit && last ? encodeMessageCursor(last) : null;
      return { items, nextCursor };
    });
  }

  /**
   * Messages of `sessionIds` created at or after `since`, counted by session, direction and
   * current status in one grouped statement (per COUNT_SESSIONS_CHUNK sessions). Naming the
   * sessions lets the history index (session_id, created_at) seek each session's window:
   * filtered on created_at alone, both databases would read every row of the table.
   */
  countsSince(sessionIds: readonly string[], since: Date): Promise<MessageCount[]> {
    return guardDriverErrors(async () => {
      const counts: MessageCount[] = [];
      // A session's groups never straddle two chunks: each chunk is a complete answer for its sessions.
      for (let start = 0; start < sessionIds.length; start += COUNT_SESSIONS_CHUNK) {
        const chunk = sessionIds.slice(start, start + COUNT_SESSIONS_CHUNK);
        const rows = await this.sql.rows(
          `select "session_id", "direction", "status", count(*) as "count" from "messages" ` +
            `where "session_id" in (${this.sql.placeholders(chunk.length)}) and "created_at" >= ? group by "session_id", "direction", "status"`,
          [...chunk, this.sql.date(since)],
        );
        // PostgreSQL's count is a bigint, which its driver gives as text.
        for (const row of rows) {
          counts.push({ sessionId: String(row.session_id), direction: row.direction as MessageDirection, status: row.status as MessageStatus, count: Number(row.count) });
        }
      }
      return counts;
    });
  }

  /** Outgoing rows still to send, oldest first: re-enqueued on boot and after a takeover. */
  listPendingForSession(sessionId: string, limit = 1_000): Promise<MessageEntity[]> {
    return guardDriverErrors(() =>
      this.em().find(MessageEntity, { sessionId, status: 'pending' }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit }),
    );
  }

  /**
   * Pending outgoing rows of a session that are due, in send order: (dueAt, createdAt, id).
   * Ids are time-ordered (see `insertPending`), so rows accepted in one millisecond keep
   * their accept order; per-chat order follows from this order.
   */
  listDue(sessionId: string, query: DueQuery): Promise<MessageEntity[]> {
    return guardDriverErrors(async () => {
      const exclude = [...(query.excludeIds ?? [])];
      const params: unknown[] = [sessionId, this.sql.date(query.now)];
      let notHeld = '';
      if (exclude.length) {
        notHeld = ` and "id" not in (${this.sql.placeholders(exclude.length)})`;
        params.push(...exclude);
      }
      params.push(Math.max(1, query.limit));
      const rows = await this.sql.rows(
        `select ${MESSAGE_COLUMNS} from "messages" where "session_id" = ? and "status" = 'pending' and "due_at" <= ?${notHeld} ` +
          'order by "due_at" asc, "created_at" asc, "id" asc limit ?',
        params,
      );
      return rows.map((row) => messageFromRow(this.sql, row));
    });
  }

  /** When the next pending row of a session falls due after `after` (bulk spacing), or null when none does. */
  nextDueAt(sessionId: string, after: Date): Promise<Date | null> {
    return guardDriverErrors(async () => {
      const rows = await this.sql.rows(
        `select "due_at" from "messages" where "session_id" = ? and "status" = 'pending' and "due_at" > ? order by "due_at" asc limit 1`,
        [sessionId, this.sql.date(after)],
      );
      return rows[0] ? this.sql.readDate(rows[0].due_at) : null;
    });
  }

  /** Rows caught mid-send (a crash or takeover): to reconcile with the engine before any resend. */
  listSendingForSession(sessionId: string): Promise<MessageEntity[]> {
    return guardDriverErrors(() =>
      this.em().find(MessageEntity, { sessionId, status: 'sending' }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
    );
  }

  /** Links a stored file to a message (inbound media, once its bytes are in the media-service); the updated row. */
  attachMedia(id: string, mediaId: string): Promise<MessageEntity | null> {
    return guardDriverErrors(async () => {
      await this.em().nativeUpdate(MessageEntity, { id }, { mediaId, updatedAt: new Date() });
      return this.em().findOne(MessageEntity, { id });
    });
  }

  /** Adds `fields` to a message's payload, keeping the rest (e.g. why its media could not be stored); the updated row. */
  mergePayload(id: string, fields: Record<string, unknown>): Promise<MessageEntity | null> {
    return guardDriverErrors(async () => {
      const current = await this.em().findOne(MessageEntity, { id });
      if (!current) return null;
      const payload = { ...current.payload, ...fields };
      await this.em().nativeUpdate(MessageEntity, { id }, { payload, updatedAt: new Date() });
      return Object.assign(current, { payload });
    });
  }

  /**
   * Marks a message revoked (deleted for everyone) once: the first revocation time stays.
   * `message` is null when no row has that WhatsApp id; `changed` is false when it was already revoked.
   */
  markRevoked(sessionId: string, waMessageId: string, at: Date): Promise<{ message: MessageEntity | null; changed: boolean }> {
    return guardDriverErrors(async () => {
      const updated = await this.em().nativeUpdate(
        MessageEntity,
        { sessionId, waMessageId, revokedAt: null },
        { revokedAt: at, updatedAt: new Date() },
      );
      const message = await this.em().findOne(MessageEntity, { sessionId, waMessageId });
      return { message, changed: updated === 1 };
    });
  }

  private async insertOrFind(data: EntityData<MessageEntity>, unique?: FilterQuery<MessageEntity>): Promise<InsertResult> {
    const em = this.em();
    const message = em.create(MessageEntity, data as MessageEntity);
    try {
      await em.persistAndFlush(message);
      return { message, created: true };
    } catch (error) {
      // Lost a race with the same key: the winner's row is the answer.
      if (error instanceof UniqueConstraintViolationException && unique) {
        const existing = await this.em().findOne(MessageEntity, unique);
        if (existing) return { message: existing, created: false };
      }
      throw error;
    }
  }

  /**
   * One batch of moves to the same status (and generation; and session, by WhatsApp id):
   * one UPDATE for all. Why rows were left out is read in one SELECT: most often a repeated
   * or late ack, or the engine's `sent` ack of a row the send loop has marked `sent` already,
   * so under load this is one read per batch, not one per row. A row that could have moved
   * (it lost a race, or its claim is fenced) gets its own try (see moveOne).
   */
  private async moveBatch(group: string, items: Map<string, TransitionOptions>): Promise<Map<string, TransitionResult>> {
    const [to, generationText, sessionId] = group.split('\n') as [MessageStatus, string, string];
    const generation = generationText === '' ? undefined : Number(generationText);
    const keysOf = (list: string[]): TransitionKeys => (sessionId ? { sessionId, waMessageIds: list } : { ids: list });
    const results = new Map<string, TransitionResult>();
    await guardDriverErrors(async () => {
      const statement = transitionStatement(this.sql, keysOf([...items.keys()]), to, generation, (key) => items.get(key)!, MESSAGE_COLUMNS);
      for (const row of await this.sql.rows(statement.text, statement.params)) {
        const message = messageFromRow(this.sql, row);
        results.set(sessionId ? message.waMessageId! : message.id, { applied: true, message });
      }
    });
    const leftOut = [...items.keys()].filter((key) => !results.has(key));
    if (leftOut.length === 0) return results;
    const current = await guardDriverErrors(() => this.findByKeys(keysOf(leftOut)));
    await Promise.all(
      leftOut.map(async (key) => {
        const options = items.get(key)!;
        const row = current.get(key);
        if (!row) results.set(key, { applied: false, reason: 'not_found', message: null });
        else if (!canTransition(row, to, options.generation)) results.set(key, { applied: false, reason: 'invalid_transition', message: row });
        else results.set(key, await this.moveOne(keysOf([key]), to, options));
      }),
    );
    return results;
  }

  /** One row's move, tried again while it lost races; when it cannot apply, says why. */
  private moveOne(keys: TransitionKeys, to: MessageStatus, options: TransitionOptions): Promise<TransitionResult> {
    return guardDriverErrors(async () => {
      const statement = transitionStatement(this.sql, keys, to, options.generation, () => options, MESSAGE_COLUMNS);
      for (let attempt = 0; attempt < TRANSITION_ATTEMPTS; attempt++) {
        const current =
          'ids' in keys
            ? await this.findOne('"id" = ?', keys.ids)
            : await this.findOne('"session_id" = ? and "wa_message_id" = ?', [keys.sessionId, keys.waMessageIds[0]]);
        if (!current) return { applied: false, reason: 'not_found', message: null };
        if (!canTransition(current, to, options.generation)) return { applied: false, reason: 'invalid_transition', message: current };
        if (to === 'sending' && !(await this.leaseHeld(current.sessionId, options.generation!))) {
          return { applied: false, reason: 'fenced', message: current };
        }
        // Allowed now: the batch's UPDATE lost a race with another move of this row. Again.
        const [moved] = await this.sql.rows(statement.text, statement.params);
        if (moved) return { applied: true, message: messageFromRow(this.sql, moved) };
      }
      throw DatabaseError.conflict(`message kept changing while being updated`, { keys });
    });
  }

  private async leaseHeld(sessionId: string, generation: number): Promise<boolean> {
    const [session] = await this.sql.rows('select "lease_owner", "lease_generation" from "sessions" where "id" = ?', [sessionId]);
    return !!session?.lease_owner && Number(session.lease_generation) === generation;
  }

  /** The rows of `keys`, by the key they were asked by (our id, or WhatsApp id). */
  private async findByKeys(keys: TransitionKeys): Promise<Map<string, MessageEntity>> {
    const byId = 'ids' in keys;
    const list = byId ? keys.ids : keys.waMessageIds;
    const condition = byId ? `"id" in (${this.sql.placeholders(list.length)})` : `"session_id" = ? and "wa_message_id" in (${this.sql.placeholders(list.length)})`;
    const rows = await this.sql.rows(`select ${MESSAGE_COLUMNS} from "messages" where ${condition}`, byId ? list : [keys.sessionId, ...list]);
    return new Map(rows.map((row) => messageFromRow(this.sql, row)).map((message) => [byId ? message.id : message.waMessageId!, message]));
  }

  private async findOne(condition: string, params: unknown[]): Promise<MessageEntity | null> {
    const [row] = await this.sql.rows(`select ${MESSAGE_COLUMNS} from "messages" where ${condition} limit 1`, params);
    return row ? messageFromRow(this.sql, row) : null;
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}

function base(input: NewMessageBase) {
  return {
    sessionId: input.sessionId,
    chatId: input.chatId,
    from: input.from,
    to: input.to,
    type: input.type,
    body: input.body ?? null,
    mediaId: input.mediaId ?? null,
    payload: input.payload ?? {},
  };
}

function needsGeneration(): DatabaseError {
  return new DatabaseError(ErrorCode.ValidationFailed, 'moving a message to sending needs the lease generation');
}
