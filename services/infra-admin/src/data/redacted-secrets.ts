import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { randomBytes } from 'node:crypto';
import type { TableSpec } from './table-catalog';
import { quoteIdentifier } from './table-reader';
import type { TransferConnection } from './transfer-connection';
import { normaliseValue } from './value-codec';

/**
 * Values for secrets an export redacted, when `allowRedacted` lets rows in that have no
 * existing value to keep: a fresh webhook secret (senders must be told the new one), no custom
 * headers, and an API key hash nobody can match (the key must be issued again).
 */
const FALLBACKS: Record<string, () => unknown> = {
  'webhooks.secret': () => `whsec_${randomBytes(32).toString('base64')}`,
  'webhooks.headers': () => ({}),
  'api_keys.hash': () => randomBytes(32).toString('hex'),
};

/**
 * Secrets a row can do without: the previous webhook secret only signs until a rotation's grace
 * period ends, so a row with none to keep simply has none (the current secret alone signs).
 */
const OPTIONAL = new Set(['webhooks.previous_secret']);

/**
 * Redacted secrets on import: a row keeps the value the target database holds for the same
 * primary key (read before anything is deleted; these tables are small). A row with nothing to
 * keep gets null for an OPTIONAL secret; for any other it is refused with IMPORT_REDACTED, unless
 * allowRedacted, which puts a fallback in.
 */
export class RedactedSecrets {
  private constructor(
    private readonly existing: Map<string, Map<unknown, Record<string, unknown>>>,
    private readonly allowRedacted: boolean,
  ) {}

  static async load(connection: TransferConnection, tables: TableSpec[], redacted: string[], allowRedacted: boolean): Promise<RedactedSecrets> {
    const existing = new Map<string, Map<unknown, Record<string, unknown>>>();
    for (const table of tables) {
      const columns = table.columns.filter((c) => redacted.includes(`${table.name}.${c.name}`));
      if (columns.length === 0) continue;
      const rows = await connection.query(
        `select ${[table.primaryKey, ...columns.map((c) => c.name)].map(quoteIdentifier).join(', ')} from ${quoteIdentifier(table.name)}`,
      );
      const byKey = new Map<unknown, Record<string, unknown>>();
      for (const row of rows) {
        const values: Record<string, unknown> = {};
        for (const column of columns) values[column.name] = normaliseValue(column.kind, row[column.name]);
        byKey.set(row[table.primaryKey], values);
      }
      existing.set(table.name, byKey);
    }
    return new RedactedSecrets(existing, allowRedacted);
  }

  /** The value to write for a redacted column of a row. */
  valueFor(table: string, column: string, primaryKey: unknown): unknown {
    const kept = this.existing.get(table)?.get(primaryKey);
    if (kept && kept[column] !== null && kept[column] !== undefined) return kept[column];
    if (OPTIONAL.has(`${table}.${column}`)) return null;
    const fallback = FALLBACKS[`${table}.${column}`];
    if (this.allowRedacted && fallback) return fallback();
    throw new ServiceError(
      ErrorCode.ImportRedacted,
      `${table}.${column} of row ${String(primaryKey)} was redacted by the export and this database has no value to keep: export again with a passphrase (X-Export-Passphrase), or pass ?allowRedacted=true to get fresh webhook secrets and unusable key hashes`,
      { table, column, id: primaryKey },
    );
  }
}
