import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { MessageBatchEntity } from '../entities/message-batch.entity';
import { MessageEntity, type MessageStatus } from '../entities/message.entity';
import { guardDriverErrors } from './guard-driver-errors';
import type { MessageRepository } from './message.repository';

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

const SENT: MessageStatus[] = ['sent', 'delivered', 'read'];
const CANCEL_PAGE = 500;

/** Bulk sends. Counts are derived from messages by `batch_id` rather than stored, so they never drift. */
export class MessageBatchRepository {
  constructor(
    private readonly orm: MikroORM,
    private readonly messages: MessageRepository,
  ) {}

  create(input: NewMessageBatch): Promise<MessageBatchEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const batch = em.create(MessageBatchEntity, { sessionId: input.sessionId, total: input.total, delayMs: input.delayMs });
      await em.persistAndFlush(batch);
      return batch;
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
        for (const message of pending) {
          await this.messages.transition(message.id, 'failed', { failureReason: 'batch_cancelled' });
        }
        if (pending.length < CANCEL_PAGE) break;
      }
      return this.get(id);
    });
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}
