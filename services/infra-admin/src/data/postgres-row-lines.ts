import { type CopyColumn, CopyLineWriter, type CopyValueKind } from './copy-line-writer';
import type { PagePool } from './page-pool';
import type { RowLines } from './row-lines';
import type { ColumnKind, TableSpec } from './table-catalog';
import { quoteIdentifier } from './table-reader';
import type { PostgresTransferConnection } from './transfer-connection';

/** Rows per COPY: one page of lines (about 650 KB of messages) is all the memory a table takes. */
export const COPY_PAGE_ROWS = 1_000;

const INTEGER_TYPES = { smallint: 'integer', integer: 'integer', bigint: 'integer' } as const;

/**
 * Per column kind, the PostgreSQL types (as `format_type` names them) whose COPY text the
 * writer turns into exactly what the generic path writes for the value the ORM's driver reads.
 * Any other pairing (a domain, an array, a numeric read as text…) keeps the generic path.
 */
const COPY_KINDS: Record<ColumnKind, Record<string, CopyValueKind>> = {
  text: { text: 'text', 'character varying': 'text' },
  json: { jsonb: 'jsonb', json: 'json' },
  datetime: { 'timestamp with time zone': 'datetime' },
  boolean: { boolean: 'boolean' },
  integer: INTEGER_TYPES,
  bigint: INTEGER_TYPES,
};

/** How a table is read by COPY: its columns as the writer sees them, and its pages' SQL. */
export interface CopyPlan {
  table: string;
  columns: CopyColumn[];
  keyColumn: number;
  /** The COPY of the page after `after` (a primary key), in primary-key order. */
  pageSql(after: string | undefined, rows: number): string;
}

/**
 * The plan for reading a table by COPY, or undefined when the generic path must read it: a
 * column's type is not one the writer reproduces exactly, the primary key is not text (pages
 * go on from the last key as read back from the JSON), or the table holds secrets (encrypted
 * or redacted per row).
 */
export async function planCopy(connection: PostgresTransferConnection, table: TableSpec): Promise<CopyPlan | undefined> {
  if (table.columns.some((c) => c.secret)) return undefined;
  const rows = await connection.query(
    'select attname as name, format_type(atttypid, null) as type from pg_attribute where attrelid = to_regclass(?) and attnum > 0 and not attisdropped',
    [quoteIdentifier(table.name)],
  );
  const typeOf = new Map(rows.map((row) => [String(row.name), String(row.type)]));
  const columns: CopyColumn[] = [];
  for (const column of table.columns) {
    const type = typeOf.get(column.name);
    const kind = type === undefined ? undefined : Object.entries(COPY_KINDS[column.kind]).find(([name]) => name === type)?.[1];
    if (!kind) return undefined;
    columns.push({ name: column.name, kind });
  }
  const keyColumn = table.columns.findIndex((c) => c.name === table.primaryKey);
  if (columns[keyColumn]?.kind !== 'text') return undefined;

  const select = `select ${table.columns.map((c) => quoteIdentifier(c.name)).join(', ')} from ${quoteIdentifier(table.name)}`;
  const pk = quoteIdentifier(table.primaryKey);
  return {
    table: table.name,
    columns,
    keyColumn,
    // COPY takes no bind parameters: the key goes in as an escape-string literal.
    pageSql: (after, limit) => `copy (${select}${after === undefined ? '' : ` where ${pk} > ${escapeStringLiteral(after)}`} order by ${pk} limit ${limit}) to stdout`,
  };
}

/**
 * A table's row lines in primary-key order, one page per COPY inside the export's snapshot.
 * Each COPY is short, far below a statement timeout however slow the reader, and lands whole
 * in memory (the socket is never paused mid-statement); the next one runs while the reader
 * takes this page, so PostgreSQL and Node work side by side.
 */
export async function* readCopyLines(connection: PostgresTransferConnection, plan: CopyPlan, pages: PagePool, pageRows = COPY_PAGE_ROWS): AsyncGenerator<RowLines> {
  const writer = new CopyLineWriter(plan.table, plan.columns, plan.keyColumn, pages);
  const copyPage = async (after: string | undefined): Promise<number> => {
    let rows = 0;
    await connection.copyOut(plan.pageSql(after, pageRows), (row) => {
      writer.writeRow(row);
      rows += 1;
    });
    return rows;
  };
  let next: Promise<number> | undefined = copyPage(undefined);
  try {
    while (next) {
      const rows: number = await next;
      if (rows === 0) return;
      const lastKey = writer.lastKey();
      const bytes = writer.take();
      next = rows === pageRows ? copyPage(lastKey) : undefined;
      // Handled here too: the COPY may fail while the generator waits for its reader; `await` still throws it.
      next?.catch(() => undefined);
      yield { bytes, rows };
    }
  } finally {
    // Left early: the COPY in flight answers before the transaction is closed.
    await next?.catch(() => undefined);
  }
}

/** `E'…'`: the same text whatever `standard_conforming_strings` says. */
function escapeStringLiteral(value: string): string {
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
