import { Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { SessionEntity } from './session.entity';

export const MESSAGE_DIRECTIONS = ['incoming', 'outgoing'] as const;
export type MessageDirection = (typeof MESSAGE_DIRECTIONS)[number];

export const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'document', 'location', 'contact', 'reply', 'reaction'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const MESSAGE_STATUSES = ['pending', 'sending', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** One step of a message's life, kept in order on the row. `at` is an ISO-8601 instant. */
export interface MessageTimelineEntry {
  status: MessageStatus;
  at: string;
}

/**
 * A message sent or received by a session. The row is the truth (the queue is only
 * transport): it is written `pending` before its job is enqueued.
 */
@Entity({ tableName: 'messages' })
@Unique({ name: 'messages_session_wa_message_unique', properties: ['sessionId', 'waMessageId'] })
@Unique({ name: 'messages_session_idempotency_unique', properties: ['sessionId', 'idempotencyKey'] })
@Index({ name: 'messages_history_by_chat_index', properties: ['sessionId', 'chatId', 'createdAt', 'id'] })
@Index({ name: 'messages_history_index', properties: ['sessionId', 'createdAt', 'id'] })
@Index({ name: 'messages_session_status_due_index', properties: ['sessionId', 'status', 'dueAt'] })
@Index({ name: 'messages_batch_status_index', properties: ['batchId', 'status'] })
// Partial: only the few received rows whose event is still owed, so a takeover finds them without reading the history.
@Index({
  name: 'messages_unannounced_index',
  expression: `create index "messages_unannounced_index" on "messages" ("session_id", "created_at", "id") where "announced_at" is null and "direction" = 'incoming'`,
})
export class MessageEntity {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string & Opt = randomUUID();

  // mapToPk: the property holds the session id itself, not a reference to load.
  @ManyToOne(() => SessionEntity, { fieldName: 'session_id', mapToPk: true, deleteRule: 'cascade', type: 'string' })
  sessionId!: string;

  @Property({ type: 'string', nullable: true })
  waMessageId?: string | null;

  @Property({ type: 'string' })
  chatId!: string;

  @Property({ type: 'string', fieldName: 'from' })
  from!: string;

  @Property({ type: 'string', fieldName: 'to' })
  to!: string;

  @Enum({ items: [...MESSAGE_DIRECTIONS], type: 'string' })
  direction!: MessageDirection;

  @Enum({ items: [...MESSAGE_TYPES], type: 'string' })
  type!: MessageType;

  @Property({ type: 'text', nullable: true })
  body?: string | null;

  @Property({ type: 'string', nullable: true })
  mediaId?: string | null;

  /** The send request's fields beyond the common columns (caption, location, quoted id…). */
  @Property({ type: 'json' })
  payload: Record<string, unknown> & Opt = {};

  @Enum({ items: [...MESSAGE_STATUSES], type: 'string' })
  status: MessageStatus & Opt = 'pending';

  @Property({ type: 'text', nullable: true })
  failureReason?: string | null;

  @Property({ type: 'string', nullable: true })
  idempotencyKey?: string | null;

  @Property({ type: 'string', length: 36, nullable: true })
  batchId?: string | null;

  /** The session's lease generation when the row went `sending`: tells a takeover whose send it was. */
  @Property({ type: 'integer', nullable: true })
  leaseGeneration?: number | null;

  @Property({ type: 'json' })
  timeline: MessageTimelineEntry[] & Opt = [];

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();

  @Property({ type: 'datetime', nullable: true })
  sentAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  deliveredAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  readAt?: Date | null;

  /** Not sent before this instant: the creation time, or later for the spaced messages of a bulk send. */
  @Property({ type: 'datetime' })
  dueAt: Date & Opt = new Date();

  /** When WhatsApp reported the message revoked (deleted for everyone). */
  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  /**
   * Incoming: when its `message.received` was published. Null until then, so a message
   * stored by a worker that died before publishing is announced by the next one. Outgoing:
   * set only on messages a batch cancel failed, once their `message.failed` is published.
   */
  @Property({ type: 'datetime', nullable: true })
  announcedAt?: Date | null;
}
