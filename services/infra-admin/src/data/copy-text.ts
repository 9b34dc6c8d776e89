import type { ColumnSpec } from './table-catalog';

/** What COPY's text format escapes in a field: the backslash, and the tab, newline and return that would end it. */
const SPECIAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One row of an import as a line of PostgreSQL's COPY text format, newline included: fields in
 * `columns` order, tab-separated, `\N` for null. Each field is the text the column's input
 * function reads, as `json_populate_recordset` would hand it over: JSON text for json
 * columns, `t`/`f` for booleans, the instant's ISO text, numbers and strings as they are.
 */
export function copyTextLine(columns: readonly ColumnSpec[], row: Record<string, unknown>): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += '\t';
    line += copyField(columns[i], row[columns[i].name]);
  }
  return `${line}\n`;
}

function copyField(column: ColumnSpec, value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = column.kind === 'json' ? JSON.stringify(value) : column.kind === 'boolean' ? (value ? 't' : 'f') : String(value);
  return text.replace(SPECIAL, (char) => ESCAPES[char]);
}
