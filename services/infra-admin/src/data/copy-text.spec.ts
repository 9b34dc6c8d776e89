import { copyTextLine } from './copy-text';
import type { ColumnSpec } from './table-catalog';

const column = (name: string, kind: ColumnSpec['kind']): ColumnSpec => ({ name, kind, nullable: true, secret: false });
const columns = [column('id', 'text'), column('n', 'integer'), column('ok', 'boolean'), column('at', 'datetime'), column('payload', 'json')];

describe('copyTextLine', () => {
  it('writes the fields in column order, tab-separated, one line per row', () => {
    const row = { payload: { a: [1, 'x'] }, id: 'm-1', n: 42, ok: true, at: '2026-01-02T03:04:05.678Z' };
    expect(copyTextLine(columns, row)).toBe('m-1\t42\tt\t2026-01-02T03:04:05.678Z\t{"a":[1,"x"]}\n');
  });

  it('writes null and missing values as \\N, false as f, and a JSON string as JSON text', () => {
    expect(copyTextLine(columns, { id: null, ok: false, payload: 'just text' })).toBe('\\N\t\\N\tf\t\\N\t"just text"\n');
  });

  it('escapes backslash, tab, newline and carriage return so no field can end early', () => {
    const row = { id: 'a\\b\tc\nd\re', payload: { text: 'line\nnext\\' } };
    // JSON.stringify already turned the newline into the two characters \n; COPY then escapes its backslash.
    expect(copyTextLine(columns, row)).toBe('a\\\\b\\tc\\nd\\re\t\\N\t\\N\t\\N\t{"text":"line\\\\nnext\\\\\\\\"}\n');
  });
});
