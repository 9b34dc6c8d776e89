import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/postgresql';
import { DatabaseError } from './database.errors';
import { MIGRATIONS } from './migrations/migrations.list';
import { assertSchemaNotNewer } from './schema-version';

/** Fixed key of the advisory lock every Plugboard migrator takes ("plugboard" in ASCII, fits in int8). */
export const MIGRATION_LOCK_KEY = 0x706c7567626f6172n.toString();

const LEDGER_TABLE = 'mikro_orm_migrations';

export interface MigrationResult {
  /** Names of the migrations this call applied (empty when another migrator got there first). */
  applied: string[];
}

interface PgClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Applies pending PostgreSQL migrations under `pg_advisory_lock`, so concurrent migrators
 * (several pods booting at once) run them exactly once: the others wait, then find nothing
 * pending. The lock is held on its own pooled connection while the migrator uses others,
 * so the pool needs at least two connections. Refuses a database written by a newer release.
 */
export async function runMigrations(orm: MikroORM): Promise<MigrationResult> {
  const knex = (orm.em.getConnection() as AbstractSqlConnection).getKnex();
  const pool = knex.client.pool as { max?: number } | undefined;
  if (pool?.max !== undefined && pool.max < 2) {
    throw DatabaseError.unavailable('migrations need DATABASE_POOL_SIZE of at least 2 (one connection holds the lock)');
  }
  const client = (await knex.client.acquireConnection()) as PgClient;
  try {
    // Waiting for another migrator is expected; the statement timeout must not cut it short.
    await client.query('set statement_timeout = 0');
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      const schema = orm.config.get('schema') ?? 'public';
      await client.query(`create schema if not exists "${schema}"`);
      await assertNoUnknownMigrations(client, schema);
      await assertSchemaNotNewer(orm);
      const executed = await orm.migrator.up();
      return { applied: executed.map((migration) => migration.name) };
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.query('reset statement_timeout').catch(() => undefined);
    await knex.client.releaseConnection(client);
  }
}

/** A ledger entry this release does not ship means the database was migrated by a newer release. */
async function assertNoUnknownMigrations(client: PgClient, schema: string): Promise<void> {
  const names = await readLedger(client, schema);
  const known = new Set(MIGRATIONS.map((migration) => migration.name));
  const unknown = names.filter((name) => !known.has(name.replace(/\.[jt]s$/, '')));
  if (unknown.length > 0) throw DatabaseError.unknownMigrations(unknown);
}

async function readLedger(client: PgClient, schema: string): Promise<string[]> {
  const exists = await client.query('select 1 from information_schema.tables where table_schema = $1 and table_name = $2', [
    schema,
    LEDGER_TABLE,
  ]);
  if (exists.rows.length === 0) return [];
  const { rows } = await client.query(`select name from "${schema}"."${LEDGER_TABLE}"`);
  return rows.map((row) => String(row.name));
}

/** The same ledger check for a process that does not migrate (it only verifies at boot). */
export async function assertKnownMigrations(orm: MikroORM): Promise<void> {
  const knex = (orm.em.getConnection() as AbstractSqlConnection).getKnex();
  const client = (await knex.client.acquireConnection()) as PgClient;
  try {
    await assertNoUnknownMigrations(client, orm.config.get('schema') ?? 'public');
  } finally {
    await knex.client.releaseConnection(client);
  }
}

/** Names of the migrations this release ships that the database has not recorded yet. */
export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  const knex = (orm.em.getConnection() as AbstractSqlConnection).getKnex();
  const client = (await knex.client.acquireConnection()) as PgClient;
  try {
    const done = new Set((await readLedger(client, orm.config.get('schema') ?? 'public')).map((n) => n.replace(/\.[jt]s$/, '')));
    return MIGRATIONS.map((migration) => migration.name).filter((name) => !done.has(name));
  } finally {
    await knex.client.releaseConnection(client);
  }
}
