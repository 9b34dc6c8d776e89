import { BigIntType, Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * How far webhook fan-out has read an events stream: the last stream sequence whose
 * deliveries exist. One row per stream; a restarted gateway resumes after it.
 */
@Entity({ tableName: 'webhook_cursors' })
export class WebhookCursorEntity {
  @PrimaryKey({ type: 'string' })
  stream!: string;

  @Property({ type: new BigIntType('number') })
  lastSeq!: number;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
