import { LineBuffer } from './line-buffer';
import type { PagePool } from './page-pool';
import { planCopy, readCopyLines } from './postgres-row-lines';
import { type SecretCipher, secretAad } from './secret-cipher';
import type { TableSpec } from './table-catalog';
import { READ_PAGE_SIZE, readTable } from './table-reader';
import type { TransferConnection } from './transfer-connection';

/** Consecutive row lines of one table, each `{"t":…,"r":{…}}` ending in `\n`, as UTF-8 in a block of the page pool. */
export interface RowLines {
  bytes: Buffer;
  rows: number;
}

/**
 * A table's row lines, page by page. PostgreSQL tables without secrets are written straight
 * from COPY's bytes; the rest (SQLite, secrets) go through the normalised rows.
 */
export async function* tableRowLines(connection: TransferConnection, table: TableSpec, cipher: SecretCipher | undefined, pages: PagePool): AsyncGenerator<RowLines> {
  if (connection.dialect === 'postgres') {
    const plan = await planCopy(connection, table);
    if (plan) return yield* readCopyLines(connection, plan, pages);
  }
  yield* normalisedRowLines(connection, table, cipher, pages);
}

/** Lines of the normalised rows, secrets encrypted with the passphrase or redacted without one. */
async function* normalisedRowLines(connection: TransferConnection, table: TableSpec, cipher: SecretCipher | undefined, pages: PagePool): AsyncGenerator<RowLines> {
  const secrets = table.columns.filter((c) => c.secret);
  const lines = new LineBuffer(pages);
  let rows = 0;
  for await (const row of readTable(connection, table)) {
    for (const column of secrets) {
      const value = row[column.name];
      row[column.name] = cipher && value !== null ? cipher.encrypt(JSON.stringify(value), secretAad(table.name, column.name, row[table.primaryKey])) : null;
    }
    lines.write(`${JSON.stringify({ t: table.name, r: row })}\n`);
    if (++rows === READ_PAGE_SIZE) {
      yield { bytes: lines.take(), rows };
      rows = 0;
    }
  }
  if (rows > 0) yield { bytes: lines.take(), rows };
}
