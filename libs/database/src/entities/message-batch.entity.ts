import { Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { SessionEntity } from './session.entity';

export const MESSAGE_BATCH_STATUSES = ['running', 'completed', 'cancelled'] as const;
export type MessageBatchStatus = (typeof MESSAGE_BATCH_STATUSES)[number];

/**
 * A bulk send. Progress counts are not stored here: they are derived from the batch's
 * message rows (by `batch_id`), so they can never drift from the messages themselves.
 */
@Entity({ tableName: 'message_batches' })
@Index({ name: 'message_batches_session_index', properties: ['sessionId'] })
export class MessageBatchEntity {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string & Opt = randomUUID();

  @ManyToOne(() => SessionEntity, { fieldName: 'session_id', mapToPk: true, deleteRule: 'cascade', type: 'string' })
  sessionId!: string;

  @Enum({ items: [...MESSAGE_BATCH_STATUSES], type: 'string' })
  status: MessageBatchStatus & Opt = 'running';

  @Property({ type: 'integer' })
  total!: number;

  /** Pause between two sends of the batch, in milliseconds. */
  @Property({ type: 'integer' })
  delayMs!: number;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();

  @Property({ type: 'datetime', nullable: true })
  completedAt?: Date | null;
}
