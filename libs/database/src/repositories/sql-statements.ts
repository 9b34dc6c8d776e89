import type { MikroORM } from '@mikro-orm/core';
import { type AbstractSqlConnection, PostgreSqlPlatform } from '@mikro-orm/postgresql';
import type { Knex } from '@mikro-orm/postgresql';

export type SqlDialect = 'postgres' | 'sqlite';

/** One raw row as the driver returns it (snake_case columns). */
export type SqlRow = Record<string, unknown>;

/**
 * Hand-written statements for the hot paths of sending (a claim, an ack, an insert): one
 * round trip each, without the ORM's unit of work, identity map and hydration, which cost
 * more CPU than the statement itself at hundreds of messages per second. Values are
 * written the way MikroORM writes them, so rows stay readable by the entities: on
 * PostgreSQL `timestamptz` and `jsonb`; on SQLite epoch milliseconds and JSON text.
 */
export class SqlStatements {
  readonly dialect: SqlDialect;

  constructor(private readonly orm: MikroORM) {
    this.dialect = orm.em.getPlatform() instanceof PostgreSqlPlatform ? 'postgres' : 'sqlite';
  }

  // Asked each time: the connection (and its knex) may be made after the repositories.
  private get knex(): Knex {
    return (this.orm.em.getConnection() as unknown as AbstractSqlConnection).getKnex();
  }

  /** Runs one statement (`?` placeholders) and returns its rows (a RETURNING clause, or a SELECT). */
  async rows(sql: string, params: readonly unknown[]): Promise<SqlRow[]> {
    try {
      const result = (await this.knex.raw(sql, params as Knex.RawBinding[])) as { rows?: SqlRow[] } | SqlRow[];
      return Array.isArray(result) ? result : (result.rows ?? []);
    } catch (error) {
      // The same exception classes as the ORM's (unique, foreign key, connection), for guardDriverErrors.
      throw this.orm.em.getDriver().convertException(error as Error);
    }
  }

  /** A date parameter as the column stores it. */
  date(value: Date): Date | number {
    return this.dialect === 'postgres' ? value : value.getTime();
  }

  /** A JSON parameter's placeholder: PostgreSQL casts the text to jsonb, SQLite keeps the text. */
  get jsonParam(): string {
    return this.dialect === 'postgres' ? '?::jsonb' : '?';
  }

  /** A date parameter's placeholder where its type cannot be inferred (a CASE branch). */
  get dateParam(): string {
    return this.dialect === 'postgres' ? '?::timestamptz' : '?';
  }

  /** SQL appending the JSON text `value` (an SQL expression) to the JSON array in `column`. */
  appendJson(column: string, value: string): string {
    return this.dialect === 'postgres' ? `${column} || jsonb_build_array((${value})::jsonb)` : `json_insert(${column}, '$[#]', json(${value}))`;
  }

  /**
   * A date column read back: PostgreSQL gives timestamptz text (the ORM turns the driver's
   * date parsing off), SQLite a number of milliseconds.
   */
  readDate(value: unknown): Date {
    if (value instanceof Date) return value;
    return new Date(typeof value === 'string' ? value : Number(value));
  }

  readOptionalDate(value: unknown): Date | null {
    return value === null || value === undefined ? null : this.readDate(value);
  }

  /** A JSON column read back: PostgreSQL parses jsonb itself, SQLite gives the text. */
  readJson<T>(value: unknown): T {
    return (typeof value === 'string' ? JSON.parse(value) : value) as T;
  }

  /** `?, ?, ?` for `count` values (an IN list). */
  placeholders(count: number): string {
    return Array.from({ length: count }, () => '?').join(', ');
  }
}
