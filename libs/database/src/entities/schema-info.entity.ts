import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One row (id 1) recording the schema version the database was last brought to, so an
 * older release can refuse a database written by a newer one instead of corrupting it.
 */
@Entity({ tableName: 'schema_info' })
export class SchemaInfoEntity {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  id!: number;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
