import type { Knex } from '@mikro-orm/postgresql';
import type { AppConfig } from '@plugboard/config';
import { testBackends } from './backends';

/** The DATABASE_* variables of a test database, shaped like `AppConfig`. */
export type TestDatabaseConfig = Pick<
  AppConfig,
  | 'DATABASE_TYPE'
  | 'DATABASE_SYNCHRONIZE'
  | 'SQLITE_PATH'
  | 'DATABASE_HOST'
  | 'DATABASE_PORT'
  | 'DATABASE_USERNAME'
  | 'DATABASE_PASSWORD'
  | 'DATABASE_NAME'
  | 'DATABASE_POOL_SIZE'
  | 'DATABASE_SSL'
  | 'DATABASE_STATEMENT_TIMEOUT_MS'
  | 'POSTGRES_SCHEMA'
>;

export interface TestDatabase {
  name: string;
  config: TestDatabaseConfig;
  /** Drops the database (forcing out leftover connections). */
  drop(): Promise<void>;
}

/**
 * A fresh, empty PostgreSQL database on the shared test server (`DATABASE_URL`, whose
 * database is only used for maintenance). The name is unique per call, so parallel test
 * files never share one, and always contains `test`: anything else is refused.
 */
export async function createTestDatabase(options: { prefix?: string } = {}): Promise<TestDatabase> {
  const prefix = (options.prefix ?? 'plugboard_test').toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  if (!name.includes('test')) throw new Error(`refusing test database "${name}": its name must contain "test"`);

  const url = new URL(testBackends.databaseUrl);
  await withMaintenance(url, (db) => db.raw(`create database "${name}"`));
  return {
    name,
    config: {
      DATABASE_TYPE: 'postgres',
      DATABASE_SYNCHRONIZE: false,
      SQLITE_PATH: './data/unused.sqlite',
      DATABASE_HOST: url.hostname.replace(/^\[|\]$/g, ''),
      DATABASE_PORT: Number(url.port || 5432),
      DATABASE_USERNAME: decodeURIComponent(url.username) || 'postgres',
      DATABASE_PASSWORD: url.password ? decodeURIComponent(url.password) : undefined,
      DATABASE_NAME: name,
      DATABASE_POOL_SIZE: 5,
      DATABASE_SSL: false,
      DATABASE_STATEMENT_TIMEOUT_MS: 30_000,
      POSTGRES_SCHEMA: 'public',
    },
    drop: () => withMaintenance(url, (db) => db.raw(`drop database if exists "${name}" with (force)`)),
  };
}

/** A test database's connection as the DATABASE_* environment variables of a service process. */
export function postgresEnv(config: TestDatabaseConfig): Record<string, string> {
  return {
    DATABASE_TYPE: 'postgres',
    DATABASE_HOST: config.DATABASE_HOST ?? '127.0.0.1',
    DATABASE_PORT: String(config.DATABASE_PORT),
    DATABASE_USERNAME: config.DATABASE_USERNAME ?? 'postgres',
    ...(config.DATABASE_PASSWORD ? { DATABASE_PASSWORD: config.DATABASE_PASSWORD } : {}),
    DATABASE_NAME: config.DATABASE_NAME,
  };
}

async function withMaintenance(url: URL, run: (db: Knex) => Promise<unknown>): Promise<void> {
  // Loaded on demand: most users of @plugboard/testing never touch PostgreSQL.
  const { knex } = await import('@mikro-orm/postgresql');
  const db = knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 1 } });
  try {
    await run(db);
  } finally {
    await db.destroy();
  }
}
