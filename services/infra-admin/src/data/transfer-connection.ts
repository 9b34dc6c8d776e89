import { type AbstractSqlConnection, type Knex, knex } from '@mikro-orm/sqlite';
import type { Database } from '@plugboard/database';
import { CopyInQuery } from './copy-in-query';
import { CopyOutQuery } from './copy-out-query';

export type Dialect = 'sqlite' | 'postgres';
type Row = Record<string, unknown>;

/**
 * One connection for one export or import, inside one transaction from `begin` to
 * `commit`/`rollback`. Queries use `?` placeholders.
 */
interface Connection {
  readonly dialect: Dialect;
  /** `read`: a consistent snapshot for an export; `write`: the import's all-or-nothing transaction. */
  begin(mode: 'read' | 'write'): Promise<void>;
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Rolls back what is still open and releases the connection. */
  close(): Promise<void>;
}

export interface PostgresTransferConnection extends Connection {
  readonly dialect: 'postgres';
  /** Runs `COPY … TO STDOUT` in the transaction, handing each row's bytes (COPY text format) to `onRow` as it arrives. */
  copyOut(sql: string, onRow: (row: Buffer) => void): Promise<void>;
  /** Runs `COPY … FROM STDIN` in the transaction with `rows` (COPY text format lines) as its data. */
  copyIn(sql: string, rows: Buffer): Promise<void>;
}

export interface SqliteTransferConnection extends Connection {
  readonly dialect: 'sqlite';
}

export type TransferConnection = PostgresTransferConnection | SqliteTransferConnection;

// A writer holding the SQLite lock makes us wait this long instead of failing at once.
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * SQLite: a connection of its own on the same file, so a long export reads a WAL snapshot
 * while the services go on, and an import's transaction does not hold the services' connection.
 * PostgreSQL: a transaction on the socket's pool.
 */
export function openTransferConnection(database: Pick<Database, 'orm' | 'config'>): TransferConnection {
  const { config } = database;
  if (config.DATABASE_TYPE === 'postgres') {
    return new PostgresConnection((database.orm.em.getConnection() as unknown as AbstractSqlConnection).getKnex());
  }
  if (config.SQLITE_PATH === ':memory:') {
    // An in-memory database exists only on the socket's own connection.
    return new SqliteConnection((database.orm.em.getConnection() as unknown as AbstractSqlConnection).getKnex(), false);
  }
  const own = knex({
    client: 'sqlite3',
    connection: { filename: config.SQLITE_PATH },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (connection: SqliteHandle, done: (error: Error | null, connection: SqliteHandle) => void) => {
        connection.configure('busyTimeout', SQLITE_BUSY_TIMEOUT_MS);
        connection.exec('pragma foreign_keys = on;', (error) => done(error, connection));
      },
    },
  });
  return new SqliteConnection(own, true);
}

class PostgresConnection implements PostgresTransferConnection {
  readonly dialect = 'postgres';
  private trx?: Knex.Transaction;

  constructor(private readonly knex: Knex) {}

  async begin(mode: 'read' | 'write'): Promise<void> {
    this.trx = await this.knex.transaction();
    // Repeatable read: every table of the export, and its counts, from one snapshot.
    if (mode === 'read') {
      await this.trx.raw('set transaction isolation level repeatable read, read only');
      // Instants as text in UTC: the form the export writes without parsing them (copy-line-writer.ts).
      await this.trx.raw("set local time zone 'UTC'");
    }
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const runner = this.trx ?? this.knex;
    const result = (await runner.raw(sql, params as Knex.RawBinding[])) as { rows: Row[] };
    return result.rows;
  }

  async copyOut(sql: string, onRow: (row: Buffer) => void): Promise<void> {
    if (!this.trx) throw new Error('COPY runs inside the transfer transaction: begin it first');
    // The transaction's own driver client: the COPY sees the transaction's snapshot.
    const client = (await this.trx.client.acquireConnection()) as { query(copy: CopyOutQuery): unknown };
    const copy = new CopyOutQuery(sql, onRow);
    client.query(copy);
    await copy.done;
  }

  async copyIn(sql: string, rows: Buffer): Promise<void> {
    if (!this.trx) throw new Error('COPY runs inside the transfer transaction: begin it first');
    // The transaction's own driver client: the rows are part of the import's transaction.
    const client = (await this.trx.client.acquireConnection()) as { query(copy: CopyInQuery): unknown };
    const copy = new CopyInQuery(sql, rows);
    client.query(copy);
    await copy.done;
  }

  async commit(): Promise<void> {
    const trx = this.trx;
    this.trx = undefined;
    await trx?.commit();
  }

  async rollback(): Promise<void> {
    const trx = this.trx;
    this.trx = undefined;
    if (trx && !trx.isCompleted()) await trx.rollback().catch(() => undefined);
  }

  close(): Promise<void> {
    return this.rollback();
  }
}

class SqliteConnection implements SqliteTransferConnection {
  readonly dialect = 'sqlite';
  private open = false;

  constructor(
    private readonly knex: Knex,
    private readonly owned: boolean,
  ) {}

  async begin(): Promise<void> {
    // One connection in this pool, so begin/commit as statements wrap everything in between.
    // Deferred: an export's first read fixes its snapshot; an import takes the write lock at its first write.
    await this.knex.raw('begin');
    this.open = true;
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.knex.raw(sql, params as Knex.RawBinding[])) as Row[];
  }

  async commit(): Promise<void> {
    await this.knex.raw('commit');
    this.open = false;
  }

  async rollback(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.knex.raw('rollback').catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.rollback();
    if (this.owned) await this.knex.destroy();
  }
}

/** The part of a node-sqlite3 `Database` the pool hook uses. */
interface SqliteHandle {
  configure(option: 'busyTimeout', value: number): void;
  exec(sql: string, callback: (error: Error | null) => void): void;
}
