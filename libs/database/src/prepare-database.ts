import type { MikroORM } from '@mikro-orm/core';
import type { DatabaseConfig } from './database.config';
import { DatabaseError } from './database.errors';
import { assertKnownMigrations, pendingMigrations, runMigrations } from './run-migrations';
import { SCHEMA_VERSION, assertSchemaNotNewer, stampSchemaVersion } from './schema-version';

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
      // safe + no table drops: tables of other releases' or services' entities are left alone.
      await orm.schema.updateSchema({ safe: true, dropTables: false });
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
