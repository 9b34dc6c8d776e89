import { Entity, Enum, Index, type Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const SIMULATOR_DIRECTIONS = ['out', 'in'] as const;
export type SimulatorDirection = (typeof SIMULATOR_DIRECTIONS)[number];

export const SIMULATOR_ACKS = ['sent', 'delivered', 'read'] as const;
export type SimulatorAck = (typeof SIMULATOR_ACKS)[number];

/**
 * What the simulated WhatsApp side received (`out`: sent by the session) or delivered (`in`).
 * Tests count engine-side sends here, across processes; `clientMessageId` makes a resend of
 * the same message land on the same row.
 */
@Entity({ tableName: 'simulator_messages' })
@Unique({ name: 'simulator_messages_session_client_unique', properties: ['sessionId', 'clientMessageId'] })
@Index({ name: 'simulator_messages_session_created_index', properties: ['sessionId', 'createdAt'] })
export class SimulatorMessageEntity {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  sessionId!: string;

  /** Our message id for sends; null for inbound messages. */
  @Property({ type: 'string', nullable: true })
  clientMessageId?: string | null;

  @Property({ type: 'string', unique: 'simulator_messages_wa_message_id_unique' })
  waMessageId!: string;

  @Property({ type: 'string' })
  chatId!: string;

  @Enum({ items: [...SIMULATOR_DIRECTIONS], type: 'string' })
  direction!: SimulatorDirection;

  @Property({ type: 'string' })
  type!: string;

  @Property({ type: 'text', nullable: true })
  body?: string | null;

  /** Everything else of the message (sender, caption, location, inbound media bytes as base64…). */
  @Property({ type: 'json' })
  payload: Record<string, unknown> & Opt = {};

  /** Latest ack of a sent message; null for inbound ones. */
  @Enum({ items: [...SIMULATOR_ACKS], type: 'string', nullable: true })
  ack?: SimulatorAck | null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();
}
