import type { ColumnKind } from './table-catalog';

/**
 * One value as the export writes it, whichever database it came from: ISO-8601 instants
 * (SQLite keeps epoch milliseconds, PostgreSQL timestamptz), parsed JSON (SQLite keeps text),
 * true/false (SQLite keeps 0/1), bigints as numbers (exact below 2^53, as the entities read them).
 */
export function normaliseValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'datetime': {
      const date = value instanceof Date ? value : new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : (value as string | number));
      if (Number.isNaN(date.getTime())) throw new Error(`not a date: ${String(value)}`);
      return date.toISOString();
    }
    case 'json':
      return typeof value === 'string' ? JSON.parse(value) : value;
    case 'boolean':
      return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
    case 'bigint':
    case 'integer':
      return typeof value === 'number' ? value : Number(value);
    default:
      return value;
  }
}

/** A normalised value as a SQLite parameter (the storage the ORM uses there). */
export function toSqliteValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'datetime':
      return Date.parse(String(value));
    case 'json':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 1 : 0;
    default:
      return value;
  }
}

/** Checks a normalised value has the type its column needs; returns the problem, or undefined. */
export function valueProblem(kind: ColumnKind, nullable: boolean, value: unknown): string | undefined {
  if (value === null || value === undefined) return nullable ? undefined : 'must not be null';
  switch (kind) {
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : 'must be an ISO-8601 instant';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'integer':
    case 'bigint':
      return Number.isSafeInteger(value) ? undefined : 'must be an integer';
    case 'text':
      return typeof value === 'string' ? undefined : 'must be a string';
    default:
      return undefined;
  }
}
