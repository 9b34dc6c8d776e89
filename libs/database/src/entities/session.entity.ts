import { Entity, Enum, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { SESSION_STATUS_VALUES } from '@plugboard/contracts';

/** The lifecycle states the API speaks of: one list, kept in contracts, so a row never holds one the API cannot name. */
export const SESSION_STATUSES = SESSION_STATUS_VALUES;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const SESSION_DESIRED_STATES = ['running', 'stopped'] as const;
export type SessionDesiredState = (typeof SESSION_DESIRED_STATES)[number];

export const SESSION_ENGINES = ['whatsapp-web.js', 'simulator'] as const;
export type SessionEngine = (typeof SESSION_ENGINES)[number];

/**
 * A WhatsApp session and its lease. The lease (owner, expiry, generation) decides which
 * session-worker runs it; `leaseGeneration` grows on every claim, so writes fenced by it
 * from a worker that lost the lease are refused.
 */
@Entity({ tableName: 'sessions' })
export class SessionEntity {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', unique: true })
  name!: string;

  @Enum({ items: [...SESSION_STATUSES], type: 'string' })
  status: SessionStatus & Opt = 'created';

  @Enum({ items: [...SESSION_DESIRED_STATES], type: 'string' })
  desiredState: SessionDesiredState & Opt = 'stopped';

  @Property({ type: 'string', nullable: true })
  phone?: string | null;

  @Property({ type: 'string', nullable: true })
  pushName?: string | null;

  @Enum({ items: [...SESSION_ENGINES], type: 'string' })
  engine!: SessionEngine;

  @Property({ type: 'json' })
  config: Record<string, unknown> & Opt = {};

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', nullable: true })
  connectedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastActiveAt?: Date | null;

  @Property({ type: 'string', nullable: true })
  leaseOwner?: string | null;

  @Property({ type: 'datetime', nullable: true })
  leaseExpiresAt?: Date | null;

  @Property({ type: 'integer', default: 0 })
  leaseGeneration: number & Opt = 0;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();
}
