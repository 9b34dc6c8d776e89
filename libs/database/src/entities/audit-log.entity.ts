import { Entity, Index, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/**
 * One audited action (key.created, session.deleted, infra.restart, …): who (key id and
 * name, kept even after the key is gone), what, on which target, from which address.
 */
@Entity({ tableName: 'audit_logs' })
@Index({ name: 'audit_logs_at_index', properties: ['at', 'id'] })
@Index({ name: 'audit_logs_action_at_index', properties: ['action', 'at', 'id'] })
export class AuditLogEntity {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string & Opt = randomUUID();

  @Property({ type: 'datetime' })
  at: Date & Opt = new Date();

  @Property({ type: 'string', length: 36, nullable: true })
  actorKeyId?: string | null;

  @Property({ type: 'string', nullable: true })
  actorName?: string | null;

  @Property({ type: 'string', length: 64 })
  action!: string;

  @Property({ type: 'string', nullable: true })
  target?: string | null;

  @Property({ type: 'string', length: 64, nullable: true })
  ip?: string | null;

  @Property({ type: 'json', nullable: true })
  details?: Record<string, unknown> | null;
}
