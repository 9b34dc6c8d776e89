import 'reflect-metadata';
import type { Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import type { AppConfig } from '@plugboard/config';
import { DATABASE_ENTITIES } from './entities/database-entities';
import { MIGRATIONS } from './migrations/migrations.list';

/** The variables the database socket reads. */
export type DatabaseConfig = Pick<
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

export type DatabasePlug = AppConfig['DATABASE_TYPE'];

export interface DatabaseOptionsExtras {
  /** Receives MikroORM's own log lines (only when `debug` is on). */
  logger?: (message: string) => void;
  debug?: boolean;
}

// A writer holding the SQLite lock makes others wait this long instead of failing at once.
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const PG_CONNECT_TIMEOUT_MS = 5_000;

/**
 * MikroORM options for the selected plug. Entities are listed explicitly and every
 * property declares its type, so neither file globbing nor TypeScript reflection is needed.
 */
export function createDatabaseOptions(config: DatabaseConfig, extras: DatabaseOptionsExtras = {}): Options {
  const common = {
    entities: DATABASE_ENTITIES,
    discovery: { disableDynamicFileAccess: true },
    // The socket connects itself (with retries) after Nest has started; see DatabaseConnector.
    connect: false,
    // Databases are created by the operator (or the test helper), never implicitly.
    ensureDatabase: false,
    debug: extras.debug ?? false,
    logger: extras.logger ?? (() => undefined),
  } satisfies Partial<Options>;

  switch (config.DATABASE_TYPE) {
    case 'sqlite':
      return {
        ...common,
        driver: SqliteDriver,
        dbName: config.SQLITE_PATH,
        pool: {
          afterCreate: (connection: SqliteHandle, done: (error: Error | null, connection: SqliteHandle) => void) => {
            connection.configure('busyTimeout', SQLITE_BUSY_TIMEOUT_MS);
            // WAL lets readers go on while one writer commits.
            connection.exec('pragma foreign_keys = on; pragma journal_mode = wal;', (error) => done(error, connection));
          },
        },
      };
    case 'postgres':
      return {
        ...common,
        driver: PostgreSqlDriver,
        host: config.DATABASE_HOST,
        port: config.DATABASE_PORT,
        user: config.DATABASE_USERNAME,
        password: config.DATABASE_PASSWORD,
        dbName: config.DATABASE_NAME,
        schema: config.POSTGRES_SCHEMA,
        pool: { min: 0, max: config.DATABASE_POOL_SIZE },
        driverOptions: {
          acquireConnectionTimeout: PG_CONNECT_TIMEOUT_MS * 2,
          connection: {
            ssl: config.DATABASE_SSL,
            connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
            statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
            // Unqualified SQL (migrations, raw queries) lands in the configured schema too.
            options: `-c search_path="${config.POSTGRES_SCHEMA}"`,
          },
        },
        extensions: [Migrator],
        migrations: {
          migrationsList: MIGRATIONS,
          transactional: true,
          allOrNothing: true,
          snapshot: false,
          silent: true,
        },
      };
    default:
      throw new Error(
        `Unsupported DATABASE_TYPE "${String((config as { DATABASE_TYPE: unknown }).DATABASE_TYPE)}": expected sqlite or postgres`,
      );
  }
}

/** The part of a node-sqlite3 `Database` the pool hook uses. */
interface SqliteHandle {
  configure(option: 'busyTimeout', value: number): void;
  exec(sql: string, callback: (error: Error | null) => void): void;
}
