import { Entity, type Opt, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The simulated phone behind a simulator session (never WhatsApp). It lives in the database,
 * not in a worker, so a session that moves to another worker finds its phone as it left it.
 */
@Entity({ tableName: 'simulator_devices' })
export class SimulatorDeviceEntity {
  @PrimaryKey({ type: 'string', length: 64 })
  sessionId!: string;

  @Property({ type: 'boolean', default: false })
  paired: boolean & Opt = false;

  @Property({ type: 'string', nullable: true })
  phone?: string | null;

  @Property({ type: 'string', nullable: true })
  pushName?: string | null;

  @Property({ type: 'datetime', nullable: true })
  pairedAt?: Date | null;

  /** Injected fault: how many of the next sends fail. */
  @Property({ type: 'integer', default: 0 })
  pendingSendFailures: number & Opt = 0;

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();
}
