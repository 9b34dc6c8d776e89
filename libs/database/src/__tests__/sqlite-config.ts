import type { DatabaseConfig } from '../database.config';

/** Database variables for a SQLite file at `path` (its folder need not exist yet). */
export function sqliteConfig(path: string): DatabaseConfig {
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
