import type { TestDatabaseConfig } from './postgres-database';

/** The DATABASE_* variables of a SQLite test file at `path` (its folder need not exist yet), schema synced. */
export function sqliteTestConfig(path: string): TestDatabaseConfig {
  return {
    DATABASE_TYPE: 'sqlite',
    DATABASE_SYNCHRONIZE: true,
    SQLITE_PATH: path,
    DATABASE_HOST: undefined,
    DATABASE_PORT: 5432,
    DATABASE_NAME: 'unused',
    DATABASE_POOL_SIZE: 1,
    DATABASE_SSL: false,
    DATABASE_STATEMENT_TIMEOUT_MS: 30_000,
    POSTGRES_SCHEMA: 'public',
  };
}
