import type { EntityManager, FilterQuery, MikroORM } from '@mikro-orm/core';
import { DatabaseError } from '../database.errors';
import {
  type WebhookAttempt,
  WebhookDeliveryEntity,
  type WebhookDeliveryStatus,
} from '../entities/webhook-delivery.entity';
import { guardDriverErrors } from './guard-driver-errors';
import { type MessageCursor, decodeMessageCursor, encodeMessageCursor } from './message-cursor';

export type NewWebhookDelivery = Pick<WebhookDeliveryEntity, 'id' | 'webhookId' | 'sessionId' | 'eventId' | 'eventType' | 'payload'>;

export interface WebhookDeliveryPage {
  items: WebhookDeliveryEntity[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** What a finished try leaves behind: still pending (with the next due time), delivered or dead. */
export type AttemptOutcome = { status: 'pending'; nextAttemptAt: Date } | { status: 'delivered' } | { status: 'dead' };

/** What fan-out needs of a stored delivery to enqueue its next try. */
export type StoredDelivery = Pick<WebhookDeliveryEntity, 'id' | 'status' | 'round' | 'attempts' | 'nextAttemptAt'>;

/** One try to record: see the gateway's WebhookDeliveryStatements.recordAttempts. */
export interface RecordedAttempt {
  id: string;
  attempt: WebhookAttempt;
  outcome: AttemptOutcome;
  /** The row as read before the try (saves reading it again). */
  read?: Pick<WebhookDeliveryEntity, 'attempts' | 'updatedAt'>;
}

/** Deliveries of webhooks. Rows are created idempotently by id, so a replayed event adds nothing. */
export class WebhookDeliveryRepository {
  constructor(private readonly orm: MikroORM) {}

  get(id: string): Promise<WebhookDeliveryEntity | null> {
    return guardDriverErrors(() => this.em().findOne(WebhookDeliveryEntity, { id }));
  }

  /** A webhook's deliveries, newest first, keyset-paged on (createdAt, id). */
  list(webhookId: string, options: { status?: WebhookDeliveryStatus; limit: number; cursor?: string }): Promise<WebhookDeliveryPage> {
    return guardDriverErrors(async () => {
      const where: FilterQuery<WebhookDeliveryEntity>[] = [{ webhookId }];
      if (options.status) where.push({ status: options.status });
      if (options.cursor) {
        const after: MessageCursor = decodeMessageCursor(options.cursor);
        where.push({ $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, id: { $lt: after.id } }] });
      }
      const rows = await this.em().find(WebhookDeliveryEntity, { $and: where }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: options.limit + 1 });
      const items = rows.slice(0, options.limit);
      const last = items[items.length - 1];
      return rows.length > options.limit && last ? { items, nextCursor: encodeMessageCursor(last) } : { items };
    });
  }

  /** Starts a new round for a delivered or dead delivery; CONFLICT while it is still pending, NOT_FOUND when missing. */
  redeliver(id: string): Promise<WebhookDeliveryEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const row = await em.findOne(WebhookDeliveryEntity, { id });
      if (!row) throw DatabaseError.notFound('webhook delivery', id);
      if (row.status === 'pending') throw DatabaseError.conflict('the delivery is still pending', { id });
      const now = new Date();
      const affected = await em.nativeUpdate(
        WebhookDeliveryEntity,
        { id, round: row.round, status: { $ne: 'pending' } },
        { status: 'pending', round: row.round + 1, nextAttemptAt: now, deliveredAt: null, updatedAt: now },
      );
      if (affected === 0) throw DatabaseError.conflict('the delivery is being redelivered already', { id });
      return em.fork().findOneOrFail(WebhookDeliveryEntity, { id });
    });
  }

  /** Pending deliveries after `afterId`, by id: the restart sweep re-enqueues them page by page. */
  listPending(limit: number, afterId?: string): Promise<WebhookDeliveryEntity[]> {
    const where: FilterQuery<WebhookDeliveryEntity> = afterId ? { status: 'pending', id: { $gt: afterId } } : { status: 'pending' };
    return guardDriverErrors(() => this.em().find(WebhookDeliveryEntity, where, { orderBy: { id: 'asc' }, limit }));
  }

  /**
   * Pending deliveries whose next try was due before `dueBefore`, longest overdue first,
   * keyset-paged on (nextAttemptAt, id): the delivery processor looks for stuck tries there.
   */
  listOverdue(dueBefore: Date, limit: number, after?: Pick<WebhookDeliveryEntity, 'nextAttemptAt' | 'id'>): Promise<WebhookDeliveryEntity[]> {
    const where: FilterQuery<WebhookDeliveryEntity>[] = [{ status: 'pending', nextAttemptAt: { $lt: dueBefore } }];
    if (after?.nextAttemptAt) {
      where.push({ $or: [{ nextAttemptAt: { $gt: after.nextAttemptAt } }, { nextAttemptAt: after.nextAttemptAt, id: { $gt: after.id } }] });
    }
    return guardDriverErrors(() => this.em().find(WebhookDeliveryEntity, { $and: where }, { orderBy: { nextAttemptAt: 'asc', id: 'asc' }, limit }));
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}
