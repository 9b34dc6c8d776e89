import type { MikroORM } from '@mikro-orm/core';
import type { DatabaseConfig } from './database.config';
import { DatabaseError } from './database.errors';
import { assertKnownMigrations, pendingMigrations, runMigrations } from './run-migrations';
import { SCHEMA_VERSION, assertSchemaNotNewer, stampSchemaVersion } from './schema-version';
import { upgradeSqliteData } from './sqlite-upgrades';

export interface PrepareOptions {
  /** PostgreSQL only: apply pending migrations (under the advisory lock) instead of waiting for them. */
  migrate: boolean;
}

/**
 * Brings a connected database to this release's schema, or says why it cannot:
 * SQLite syncs its schema (when DATABASE_SYNCHRONIZE); PostgreSQL migrates (when asked) or
 * waits until someone else has. A database written by a newer release is always refused.
 */
export async function prepareDatabase(orm: MikroORM, config: DatabaseConfig, options: PrepareOptions): Promise<void> {
  if (config.DATABASE_TYPE === 'sqlite') {
    const version = await assertSchemaNotNewer(orm);
    if (config.DATABASE_SYNCHRONIZE) {
      // A database already at this version is left alone: the diff of a SQLite schema is never
      // empty (check constraints do not round-trip), and each rebuild rewrites whole tables.
      if (version !== SCHEMA_VERSION) await syncSqliteSchema(orm);
      if (version !== undefined && version < SCHEMA_VERSION) await upgradeSqliteData(orm, version);
      await stampSchemaVersion(orm.em);
    } else if (version === undefined || version < SCHEMA_VERSION) {
      throw DatabaseError.unavailable(
        `schema version ${version ?? 'none'} is older than this release needs (${SCHEMA_VERSION}) and DATABASE_SYNCHRONIZE is false`,
      );
    }
    return;
  }

  if (options.migrate) {
    await runMigrations(orm);
    return;
  }
  await assertKnownMigrations(orm);
  await assertSchemaNotNewer(orm);
  const pending = await pendingMigrations(orm);
  if (pending.length > 0) {
    throw DatabaseError.unavailable(`waiting for migrations to be applied: ${pending.join(', ')}`);
  }
}

/**
 * Brings a SQLite database to the entities' schema. SQLite alters most columns by rebuilding
 * the table (create a copy, copy rows, drop the old one, rename), and dropping a parent table
 * with foreign keys on cascades to every child row. So the statements run with foreign keys
 * off, outside any transaction (the pragma is ignored inside one), and the result is checked
 * with `foreign_key_check` before they are turned back on.
 * Safe mode, no table drops: tables of other releases' or services' entities are left alone.
 */
async function syncSqliteSchema(orm: MikroORM): Promise<void> {
  const sql = await orm.schema.getUpdateSchemaSQL({ safe: true, dropTables: false, wrap: false });
  if (sql.trim() === '') return;
  const connection = orm.em.getConnection();
  // The generated rebuilds turn foreign keys back on after each table: keep them off throughout.
  const statements = sql.replace(/pragma foreign_keys = o(n|ff);/gi, '');
  await connection.execute('pragma foreign_keys = off');
  try {
    await orm.schema.execute(statements);
    const violations = await connection.execute<unknown[]>('pragma foreign_key_check');
    if (violations.length > 0) {
      throw DatabaseError.unavailable(`the SQLite schema update left ${violations.length} row(s) breaking a foreign key`);
    }
  } finally {
    await connection.execute('pragma foreign_keys = on');
  }
}
