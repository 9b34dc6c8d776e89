import type { TableSpec } from './table-catalog';
import type { TransferConnection } from './transfer-connection';
import { normaliseValue } from './value-codec';

/** Rows per page: large enough for throughput, small enough that memory stays flat. */
export const READ_PAGE_SIZE = 250;

/** `"name"`: every identifier we write is quoted (columns like `from`, `to`, `key` are keywords). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Row count of a table (inside the connection's snapshot). */
export async function countRows(connection: TransferConnection, table: TableSpec): Promise<number> {
  const [row] = await connection.query(`select count(*) as n from ${quoteIdentifier(table.name)}`);
  return Number(row.n);
}

/**
 * Every row of a table in primary-key order, normalised, read page by page by keyset
 * (`where pk > last order by pk limit n`), so each page is an index range scan and memory
 * holds one page at a time however large the table.
 */
export async function* readTable(connection: TransferConnection, table: TableSpec, pageSize = READ_PAGE_SIZE): AsyncGenerator<Record<string, unknown>> {
  const columns = table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const pk = quoteIdentifier(table.primaryKey);
  const from = `select ${columns} from ${quoteIdentifier(table.name)}`;
  let last: unknown;
  for (;;) {
    const rows =
      last === undefined
        ? await connection.query(`${from} order by ${pk} limit ${pageSize}`)
        : await connection.query(`${from} where ${pk} > ? order by ${pk} limit ${pageSize}`, [last]);
    for (const raw of rows) {
      const row: Record<string, unknown> = {};
      for (const column of table.columns) row[column.name] = normaliseValue(column.kind, raw[column.name]);
      yield row;
    }
    if (rows.length < pageSize) return;
    last = rows[rows.length - 1][table.primaryKey];
  }
}
