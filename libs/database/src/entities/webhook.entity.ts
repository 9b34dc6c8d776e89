import { Entity, Index, ManyToOne, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { SessionEntity } from './session.entity';

/**
 * A session's webhook: where its events are POSTed, which types, and how hard to retry.
 * `secret`, `previousSecret` and the custom header values never leave the gateway through the API.
 */
@Entity({ tableName: 'webhooks' })
@Index({ name: 'webhooks_session_index', properties: ['sessionId', 'createdAt', 'id'] })
export class WebhookEntity {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string & Opt = randomUUID();

  @ManyToOne(() => SessionEntity, { fieldName: 'session_id', mapToPk: true, deleteRule: 'cascade', type: 'string' })
  sessionId!: string;

  @Property({ type: 'text' })
  url!: string;

  /** Event types delivered, or `['*']` for all. */
  @Property({ type: 'json' })
  events!: string[];

  /** `whsec_` + base64 key bytes (Standard Webhooks). */
  @Property({ type: 'string' })
  secret!: string;

  /** The secret before the last rotation: it signs too until `previousSecretExpiresAt`. */
  @Property({ type: 'string', nullable: true })
  previousSecret?: string | null;

  @Property({ type: 'datetime', nullable: true })
  previousSecretExpiresAt?: Date | null;

  @Property({ type: 'json' })
  headers: Record<string, string> & Opt = {};

  @Property({ type: 'boolean', default: true })
  active: boolean & Opt = true;

  /** Total tries per delivery, the first included. */
  @Property({ type: 'integer' })
  retryAttempts!: number;

  /** Base of the exponential backoff between tries. */
  @Property({ type: 'integer' })
  retryBackoffMs!: number;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();
}
