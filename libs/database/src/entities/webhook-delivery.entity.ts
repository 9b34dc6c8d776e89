import { Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { WebhookEntity } from './webhook.entity';

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One try to POST a delivery. `at` is an ISO-8601 instant. */
export interface WebhookAttempt {
  /** Redelivery round the try belongs to (0 = the original delivery). */
  round: number;
  /** Try number inside its round, from 1. */
  attempt: number;
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * One event for one webhook. The id is derived from (webhook, event), so fanning out the
 * same event twice (replay after a crash, a second gateway) finds the existing row. The row
 * is the truth; queue jobs only carry its id. `dead` rows are the dead-letter list.
 */
@Entity({ tableName: 'webhook_deliveries' })
@Unique({ name: 'webhook_deliveries_webhook_event_unique', properties: ['webhookId', 'eventId'] })
@Index({ name: 'webhook_deliveries_list_index', properties: ['webhookId', 'createdAt', 'id'] })
@Index({ name: 'webhook_deliveries_status_index', properties: ['status', 'nextAttemptAt'] })
export class WebhookDeliveryEntity {
  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  @ManyToOne(() => WebhookEntity, { fieldName: 'webhook_id', mapToPk: true, deleteRule: 'cascade', type: 'string' })
  webhookId!: string;

  @Property({ type: 'string', length: 36 })
  sessionId!: string;

  @Property({ type: 'string' })
  eventId!: string;

  @Property({ type: 'string' })
  eventType!: string;

  /** The event envelope as it is POSTed. */
  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Enum({ items: [...WEBHOOK_DELIVERY_STATUSES], type: 'string' })
  status: WebhookDeliveryStatus & Opt = 'pending';

  /** Bumped by every manual redelivery; tries are counted per round. */
  @Property({ type: 'integer', default: 0 })
  round: number & Opt = 0;

  @Property({ type: 'json' })
  attempts: WebhookAttempt[] & Opt = [];

  /** When the next try is due while pending; lets a restart re-enqueue with the right delay. */
  @Property({ type: 'datetime', nullable: true })
  nextAttemptAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();

  @Property({ type: 'datetime', nullable: true })
  deliveredAt?: Date | null;
}
