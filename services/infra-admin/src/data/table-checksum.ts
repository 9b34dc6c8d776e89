import type { Database } from '@plugboard/database';
import { createHash } from 'node:crypto';
import { buildTableCatalog } from './table-catalog';
import { readTable } from './table-reader';
import { openTransferConnection } from './transfer-connection';

export interface TableChecksum {
  rows: number;
  /** sha256 of the normalised rows in primary-key order (code-unit order, the same on every database). */
  sha256: string;
}

/**
 * Row count and content checksum of every exported table, comparable between SQLite and
 * PostgreSQL: values are normalised as the export writes them and rows are hashed in one
 * order whatever the database's collation. `skip` leaves rows out (e.g. the jobs' own audit
 * entries). Holds one hash per row in memory: for tests and benchmarks, not for production paths.
 */
export async function tableChecksums(
  database: Pick<Database, 'orm' | 'config'>,
  skip: (table: string, row: Record<string, unknown>) => boolean = () => false,
): Promise<Record<string, TableChecksum>> {
  const connection = openTransferConnection(database);
  const result: Record<string, TableChecksum> = {};
  try {
    await connection.begin('read');
    for (const table of buildTableCatalog(database.orm)) {
      const rowHashes = new Map<string, string>();
      for await (const row of readTable(connection, table)) {
        if (skip(table.name, row)) continue;
        rowHashes.set(String(row[table.primaryKey]), createHash('sha256').update(canonicalJson(row)).digest('hex'));
      }
      const hash = createHash('sha256');
      for (const key of [...rowHashes.keys()].sort()) hash.update(`${key}:${rowHashes.get(key)}\n`);
      result[table.name] = { rows: rowHashes.size, sha256: hash.digest('hex') };
    }
    return result;
  } finally {
    await connection.close();
  }
}

/** JSON with object keys sorted: PostgreSQL's jsonb does not keep key order, and key order carries no meaning. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
