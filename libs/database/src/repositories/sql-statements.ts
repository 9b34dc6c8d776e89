import type { MikroORM } from '@mikro-orm/core';
import { type AbstractSqlConnection, PostgreSqlPlatform } from '@mikro-orm/postgresql';
import type { Knex } from '@mikro-orm/postgresql';
import { translateDriverError } from '../database.errors';

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
      // The ORM's exception classes first (unique, foreign key, connection), then this lib's error codes.
      throw translateDriverError(this.orm.em.getDriver().convertException(error as Error));
    }
  }

  /** A date parameter as the column stores it. */
  date(value: Date): Date | number;
  date(value: Date | null): Date | number | null;
  date(value: Date | null): Date | number | null {
    return value === null || this.dialect === 'postgres' ? value : value.getTime();
  }

  /** The placeholder of a parameter of `type`: PostgreSQL needs the type where it cannot infer it (a CASE branch, a VALUES list). */
  param(type: 'jsonb' | 'timestamptz' | 'int' | 'text'): string {
    return this.dialect === 'postgres' ? `?::${type}` : '?';
  }

  /** SQL appending the JSON text `value` (an SQL expression) to the JSON array in `column`. */
  appendJson(column: string, value: string): string {
    return this.dialect === 'postgres' ? `${column} || jsonb_build_array((${value})::jsonb)` : `json_insert(${column}, '$[#]', json(${value}))`;
  }

  /** A date column read back: SQLite gives a number of milliseconds, PostgreSQL the text the ORM's platform parses. */
  readDate(value: unknown): Date {
    if (value instanceof Date) return value;
    if (typeof value === 'string') return this.orm.em.getPlatform().parseDate(value);
    return new Date(Number(value));
  }

  readOptionalDate(value: unknown): Date | null {
    return value === null || value === undefined ? null : this.readDate(value);
  }

  /** A JSON column read back: PostgreSQL parses jsonb itself, SQLite gives the text. */
  readJson<T>(value: unknown): T {
    return (typeof value === 'string' ? JSON.parse(value) : value) as T;
  }

  /** A JSON column as text: SQLite's stored text as it is (it was written by JSON.stringify), jsonb serialised. */
  readJsonText(value: unknown): string {
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  /** `?, ?, ?` for `count` values (an IN list). */
  placeholders(count: number): string {
    return Array.from({ length: count }, () => '?').join(', ');
  }

  /** `(?, ?), (?, ?)`: `rows` tuples of the placeholders in `tuple`. */
  valuesList(rows: number, tuple: readonly string[]): string {
    const one = `(${tuple.join(', ')})`;
    return Array.from({ length: rows }, () => one).join(', ');
  }
}
