import {
  type EntityManager,
  type EntityData,
  type FilterQuery,
  LockMode,
  type MikroORM,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { ErrorCode } from '@plugboard/contracts';
import { DatabaseError } from '../database.errors';
import {
  type MessageDirection,
  MessageEntity,
  type MessageStatus,
  type MessageType,
} from '../entities/message.entity';
import { SessionEntity } from '../entities/session.entity';
import { guardDriverErrors } from './guard-driver-errors';
import { decodeMessageCursor, encodeMessageCursor } from './message-cursor';
import { canTransition } from './message-status';
import { timeOrderedId } from './time-ordered-id';

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

export interface MessagePage {
  items: MessageEntity[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
// Optimistic retries of a transition that lost a race to another transition of the same row.
const TRANSITION_ATTEMPTS = 5;

/** Thrown inside the `sending` transaction to roll it back when the lease moved on. */
class LeaseFenced extends Error {}

/**
 * Messages: the row is the truth of a send. Status changes are conditional UPDATEs on the
 * status read (optimistic), so concurrent acks can never move a row backwards.
 */
export class MessageRepository {
  constructor(private readonly orm: MikroORM) {}

  /** Writes an outgoing message as `pending`; an existing idempotency key returns that row with `created: false`. */
  insertPending(input: NewOutgoingMessage): Promise<InsertResult> {
    return guardDriverErrors(async () => {
      const key = input.idempotencyKey ?? null;
      if (key !== null) {
        const existing = await this.em().findOne(MessageEntity, { sessionId: input.sessionId, idempotencyKey: key });
        if (existing) return { message: existing, created: false };
      }
      const now = new Date();
      return this.insertOrFind(
        {
          // Time-ordered: equal timestamps still sort in accept order (see listDue).
          id: timeOrderedId(now.getTime()),
          ...base(input),
          direction: 'outgoing',
          status: 'pending',
          idempotencyKey: key,
          batchId: input.batchId ?? null,
          dueAt: input.dueAt ?? now,
          timeline: [{ status: 'pending', at: now.toISOString() }],
          createdAt: now,
          updatedAt: now,
        },
        key === null ? undefined : { sessionId: input.sessionId, idempotencyKey: key },
      );
    });
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
    return guardDriverErrors(() => this.em().findOne(MessageEntity, { id }));
  }

  findByWaMessageId(sessionId: string, waMessageId: string): Promise<MessageEntity | null> {
    return guardDriverErrors(() => this.em().findOne(MessageEntity, { sessionId, waMessageId }));
  }

  /**
   * Moves a message to `to` when the rules allow (see `canTransition`) and appends it to the
   * timeline. `sending` is fenced: it commits only if the session's lease is still held at
   * `options.generation`, checked in the same transaction under a row lock (PostgreSQL) or
   * the write lock (SQLite), so a worker that lost the lease cannot start a send.
   */
  transition(id: string, to: MessageStatus, options: TransitionOptions = {}): Promise<TransitionResult> {
    if (to === 'sending' && options.generation === undefined) {
      return Promise.reject(new DatabaseError(ErrorCode.ValidationFailed, 'moving a message to sending needs the lease generation'));
    }
    return guardDriverErrors(async () => {
      for (let attempt = 0; attempt < TRANSITION_ATTEMPTS; attempt++) {
        const current = await this.em().findOne(MessageEntity, { id });
        if (!current) return { applied: false, reason: 'not_found', message: null };
        if (!canTransition(current, to, options.generation)) {
          return { applied: false, reason: 'invalid_transition', message: current };
        }
        const changes = transitionChanges(current, to, options);
        const where: FilterQuery<MessageEntity> = {
          id,
          status: current.status,
          leaseGeneration: current.leaseGeneration ?? null,
        };
        const outcome =
          to === 'sending'
            ? await this.fencedUpdate(current.sessionId, options.generation!, where, changes)
            : await this.plainUpdate(where, changes);
        if (outcome === 'fenced') return { applied: false, reason: 'fenced', message: current };
        if (outcome === 'applied') return { applied: true, message: Object.assign(current, changes) };
      }
      throw DatabaseError.conflict(`message "${id}" kept changing while being updated`, { id });
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
    return guardDriverErrors(() => {
      const where: FilterQuery<MessageEntity> = { sessionId, status: 'pending', dueAt: { $lte: query.now } };
      const exclude = [...(query.excludeIds ?? [])];
      if (exclude.length) where.id = { $nin: exclude };
      return this.em().find(MessageEntity, where, {
        orderBy: { dueAt: 'asc', createdAt: 'asc', id: 'asc' },
        limit: Math.max(1, query.limit),
      });
    });
  }

  /** When the next pending row of a session falls due after `after` (bulk spacing), or null when none does. */
  nextDueAt(sessionId: string, after: Date): Promise<Date | null> {
    return guardDriverErrors(async () => {
      const next = await this.em().findOne(
        MessageEntity,
        { sessionId, status: 'pending', dueAt: { $gt: after } },
        { orderBy: { dueAt: 'asc' }, fields: ['id', 'dueAt'] },
      );
      return next?.dueAt ?? null;
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

  private async plainUpdate(where: FilterQuery<MessageEntity>, changes: EntityData<MessageEntity>): Promise<'applied' | 'raced'> {
    return (await this.em().nativeUpdate(MessageEntity, where, changes)) === 1 ? 'applied' : 'raced';
  }

  // Write first, then check the lease: the write takes the lock that orders us against a claim.
  private async fencedUpdate(
    sessionId: string,
    generation: number,
    where: FilterQuery<MessageEntity>,
    changes: EntityData<MessageEntity>,
  ): Promise<'applied' | 'raced' | 'fenced'> {
    try {
      return await this.em().transactional(async (em) => {
        if ((await em.nativeUpdate(MessageEntity, where, changes)) !== 1) return 'raced';
        const session = await em.findOne(
          SessionEntity,
          { id: sessionId },
          { lockMode: this.supportsRowLocks(em) ? LockMode.PESSIMISTIC_READ : undefined },
        );
        if (!session?.leaseOwner || session.leaseGeneration !== generation) throw new LeaseFenced();
        return 'applied';
      });
    } catch (error) {
      if (error instanceof LeaseFenced) return 'fenced';
      throw error;
    }
  }

  // SQLite has no row locks (a writer holds the whole database); PostgreSQL needs FOR SHARE.
  private supportsRowLocks(em: EntityManager): boolean {
    return em.getPlatform() instanceof PostgreSqlPlatform;
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

/** Column changes of one transition: status, timeline entry, and the timestamps it implies. */
function transitionChanges(current: MessageEntity, to: MessageStatus, options: TransitionOptions): EntityData<MessageEntity> {
  const at = options.at ?? new Date();
  const changes: EntityData<MessageEntity> = {
    status: to,
    updatedAt: new Date(),
    timeline: [...current.timeline, { status: to, at: at.toISOString() }],
  };
  if (options.waMessageId !== undefined) changes.waMessageId = options.waMessageId;
  if (to === 'sending') changes.leaseGeneration = options.generation;
  if (to === 'failed') changes.failureReason = options.failureReason ?? 'unknown';
  // A later ack implies the earlier steps happened, even if their events were lost.
  if (to === 'sent' || to === 'delivered' || to === 'read') changes.sentAt = current.sentAt ?? at;
  if (to === 'delivered' || to === 'read') changes.deliveredAt = current.deliveredAt ?? at;
  if (to === 'read') changes.readAt = at;
  return changes;
}
