import type { EntityData, EntityManager, MikroORM } from '@mikro-orm/core';
import { ErrorCode } from '@plugboard/contracts';
import { DatabaseError } from '../database.errors';
import { MessageBatchEntity } from '../entities/message-batch.entity';
import { MessageEntity, type MessageStatus } from '../entities/message.entity';
import { guardDriverErrors } from './guard-driver-errors';
import { MESSAGE_COLUMNS, messageFromRow } from './message-rows';
import type { MessageRepository, NewMessageBase } from './message.repository';
import { SqlStatements } from './sql-statements';
import { timeOrderedId } from './time-ordered-id';

/** The failure reason of the messages a cancel stops. */
export const BATCH_CANCELLED = 'batch_cancelled';

export interface NewMessageBatch {
  sessionId: string;
  total: number;
  delayMs: number;
}

/** A batch with its progress, counted from its message rows. */
export interface MessageBatchProgress {
  batch: MessageBatchEntity;
  /** Sent, delivered or read. */
  sent: number;
  failed: number;
  /** Not finished yet: rows pending or in flight, plus rows not written yet (`total` minus rows). */
  pending: number;
}

/** One message of a new batch: the columns of an outgoing row (session and batch come from the batch). */
export type NewBatchMessage = Omit<NewMessageBase, 'sessionId'>;

/** Where to look for cancelled messages not announced yet: one batch, or every batch cancelled since a time. */
export type CancellationScope = { batchId: string } | { cancelledSince: Date };

/** One line of a batch's per-message results. */
export interface BatchMessageResult {
  id: string;
  to: string;
  status: MessageStatus;
  failureReason: string | null;
}

export interface BatchMessagePage {
  items: BatchMessageResult[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const SENT: MessageStatus[] = ['sent', 'delivered', 'read'];
const CANCEL_PAGE = 500;
// Rows per INSERT: ~20 columns each keeps a statement far below SQLite's and PostgreSQL's bind limits.
const INSERT_CHUNK = 250;
const DEFAULT_RESULTS_PAGE = 500;
const MAX_RESULTS_PAGE = 1_000;

/** Bulk sends. Counts are derived from messages by `batch_id` rather than stored, so they never drift. */
export class MessageBatchRepository {
  private readonly sql: SqlStatements;

  constructor(
    private readonly orm: MikroORM,
    private readonly messages: MessageRepository,
  ) {
    this.sql = new SqlStatements(orm);
  }

  create(input: NewMessageBatch): Promise<MessageBatchEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const batch = em.create(MessageBatchEntity, { sessionId: input.sessionId, total: input.total, delayMs: input.delayMs });
      await em.persistAndFlush(batch);
      return batch;
    });
  }

  /**
   * Writes the batch and all its `pending` rows in one transaction (multi-row inserts), so a
   * bulk send is either wholly accepted or not at all. Row i is due at `now + i × delayMs`;
   * ids are time-ordered UUIDs that sort in submission order, which keeps the order of a
   * batch's messages to one chat even when they share a due time.
   *
   * `idempotencyKey` goes on the first row, so a batch's key shares the messages' unique
   * (session, key) with single sends: a key some row already holds fails the whole
   * transaction with CONFLICT, and the holder is found as a single send's is.
   */
  createWithMessages(
    input: NewMessageBatch,
    rows: readonly NewBatchMessage[],
    idempotencyKey: string | null = null,
  ): Promise<{ batch: MessageBatchEntity; messageIds: string[] }> {
    if (rows.length === 0) return Promise.reject(new DatabaseError(ErrorCode.ValidationFailed, 'a batch needs at least one message'));
    return guardDriverErrors(() =>
      this.orm.em.fork().transactional(async (em) => {
        const now = new Date();
        const batch = em.create(MessageBatchEntity, {
          sessionId: input.sessionId,
          total: rows.length,
          delayMs: input.delayMs,
          createdAt: now,
          updatedAt: now,
        });
        await em.flush();
        const ids = rows.map(() => timeOrderedId(now.getTime()));
        const timeline = [{ status: 'pending' as const, at: now.toISOString() }];
        for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
          const chunk: EntityData<MessageEntity>[] = rows.slice(start, start + INSERT_CHUNK).map((row, offset) => {
            const index = start + offset;
            return {
              id: ids[index],
              sessionId: input.sessionId,
              chatId: row.chatId,
              from: row.from,
              to: row.to,
              type: row.type,
              body: row.body ?? null,
              mediaId: row.mediaId ?? null,
              payload: row.payload ?? {},
              direction: 'outgoing',
              status: 'pending',
              batchId: batch.id,
              idempotencyKey: index === 0 ? idempotencyKey : null,
              timeline,
              createdAt: now,
              updatedAt: now,
              dueAt: new Date(now.getTime() + index * input.delayMs),
            };
          });
          await em.insertMany(MessageEntity, chunk);
        }
        return { batch, messageIds: ids };
      }),
    );
  }

  /** Per-message results of a batch in submission order, keyset-paginated on the message id. */
  listMessages(batchId: string, options: { limit?: number; cursor?: string } = {}): Promise<BatchMessagePage> {
    return guardDriverErrors(async () => {
      const limit = Math.min(Math.max(options.limit ?? DEFAULT_RESULTS_PAGE, 1), MAX_RESULTS_PAGE);
      const after = options.cursor === undefined ? undefined : decodeBatchCursor(options.cursor);
      const rows = await this.em().find(
        MessageEntity,
        after === undefined ? { batchId } : { batchId, id: { $gt: after } },
        { fields: ['id', 'to', 'status', 'failureReason'], orderBy: { id: 'asc' }, limit: limit + 1 },
      );
      const items = rows.slice(0, limit).map((m) => ({ id: m.id, to: m.to, status: m.status, failureReason: m.failureReason ?? null }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit && last ? Buffer.from(last.id).toString('base64url') : null };
    });
  }

  /** The batch with its counts; a running batch with nothing left is marked completed on the way. */
  get(id: string): Promise<MessageBatchProgress | null> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const batch = await em.findOne(MessageBatchEntity, { id });
      if (!batch) return null;
      const [sent, failed, rows] = await Promise.all([
        this.em().count(MessageEntity, { batchId: id, status: { $in: SENT } }),
        this.em().count(MessageEntity, { batchId: id, status: 'failed' }),
        this.em().count(MessageEntity, { batchId: id }),
      ]);
      const inFlight = rows - sent - failed;
      const pending = inFlight + Math.max(0, batch.total - rows);
      if (batch.status === 'running' && pending === 0) {
        const now = new Date();
        const done = await em.nativeUpdate(
          MessageBatchEntity,
          { id, status: 'running' },
          { status: 'completed', completedAt: now, updatedAt: now },
        );
        if (done === 1) Object.assign(batch, { status: 'completed', completedAt: now, updatedAt: now });
      }
      return { batch, sent, failed, pending };
    });
  }

  /**
   * Stops a running batch: it becomes `cancelled` and its still-pending messages `failed`
   * with reason `batch_cancelled`. Messages already sending finish normally. Returns the
   * progress after cancelling, or null when the batch does not exist.
   */
  cancel(id: string): Promise<MessageBatchProgress | null> {
    return guardDriverErrors(async () => {
      const now = new Date();
      await this.em().nativeUpdate(MessageBatchEntity, { id, status: 'running' }, { status: 'cancelled', completedAt: now, updatedAt: now });
      for (;;) {
        const pending = await this.em().find(
          MessageEntity,
          { batchId: id, status: 'pending' },
          { fields: ['id'], limit: CANCEL_PAGE, orderBy: { createdAt: 'asc', id: 'asc' } },
        );
        // Made together, the moves of a page share one statement (see MessageRepository.transition).
        await Promise.all(pending.map((message) => this.messages.transition(message.id, 'failed', { failureReason: BATCH_CANCELLED })));
        if (pending.length < CANCEL_PAGE) break;
      }
      return this.get(id);
    });
  }

  /**
   * Messages a cancel failed whose `message.failed` is not marked published yet
   * (`announced_at`, see markCancellationsAnnounced), oldest first: what a crash or a bus
   * failure between the cancel and its events left owed.
   */
  listUnannouncedCancellations(scope: CancellationScope, limit: number): Promise<MessageEntity[]> {
    return guardDriverErrors(async () => {
      const [batches, param] =
        'batchId' in scope
          ? ['"batch_id" = ?', scope.batchId]
          : [`"batch_id" in (select "id" from "message_batches" where "status" = 'cancelled' and "completed_at" >= ?)`, this.sql.date(scope.cancelledSince)];
      const rows = await this.sql.rows(
        `select ${MESSAGE_COLUMNS} from "messages" where ${batches} and "status" = 'failed' and "failure_reason" = ? and "announced_at" is null ` +
          'order by "id" asc limit ?',
        [param, BATCH_CANCELLED, Math.max(1, limit)],
      );
      return rows.map((row) => messageFromRow(this.sql, row));
    });
  }

  /** Records that the `message.failed` of these cancelled messages was published; how many were still owed. */
  markCancellationsAnnounced(ids: readonly string[], at: Date = new Date()): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    return guardDriverErrors(() =>
      this.em().nativeUpdate(MessageEntity, { id: { $in: [...ids] }, failureReason: BATCH_CANCELLED, announcedAt: null }, { announcedAt: at }),
    );
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}

function decodeBatchCursor(raw: string): string {
  const id = Buffer.from(raw, 'base64url').toString('utf8');
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new DatabaseError(ErrorCode.ValidationFailed, 'invalid batch cursor', { cursor: raw });
  return id;
}
