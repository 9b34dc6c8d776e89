import { type EntityManager, type MikroORM, TableNotFoundException } from '@mikro-orm/core';
import { DatabaseError } from './database.errors';
import { SchemaInfoEntity } from './entities/schema-info.entity';

/**
 * The schema version this release reads and writes. Raise it with every migration (each
 * migration stamps its own number), so an older release can recognise a newer database.
 */
export const SCHEMA_VERSION = 8;

const SCHEMA_INFO_ID = 1;

/** The version recorded in `schema_info`, or undefined for a database that has none yet. */
export async function readSchemaVersion(em: EntityManager): Promise<number | undefined> {
  try {
    const row = await em.fork().findOne(SchemaInfoEntity, SCHEMA_INFO_ID);
    return row?.version;
  } catch (error) {
    if (error instanceof TableNotFoundException) return undefined;
    throw error;
  }
}

/** Throws the "newer than this release" refusal when the database was written by a newer release. */
export async function assertSchemaNotNewer(orm: MikroORM): Promise<number | undefined> {
  const version = await readSchemaVersion(orm.em);
  if (version !== undefined && version > SCHEMA_VERSION) throw DatabaseError.schemaTooNew(version, SCHEMA_VERSION);
  return version;
}

/** Records `version` (used after a SQLite schema sync; PostgreSQL migrations stamp themselves). */
export async function stampSchemaVersion(em: EntityManager, version = SCHEMA_VERSION): Promise<void> {
  await em.fork().upsert(SchemaInfoEntity, { id: SCHEMA_INFO_ID, version, updatedAt: new Date() });
}
