import { type CopyColumn, CopyLineWriter } from './copy-line-writer';
import { PagePool } from './page-pool';
import { normaliseValue } from './value-codec';

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** A value as PostgreSQL's COPY text format writes it (null as `\N`). */
function copyField(text: string | null): string {
  return text === null ? '\\N' : text.replace(/[\\\b\f\n\r\t\v]/g, (c) => COPY_ESCAPES[c]);
}

/** The line one COPY row becomes: a key column `k` and the value column `v`. */
function lineOf(kind: CopyColumn['kind'], text: string | null): string {
  const writer = new CopyLineWriter('x', [{ name: 'k', kind: 'text' }, { name: 'v', kind }], 0, new PagePool());
  writer.writeRow(Buffer.from(`key\t${copyField(text)}\n`));
  return writer.take().toString('utf8');
}

function expectedLine(value: unknown): string {
  return `${JSON.stringify({ t: 'x', r: { k: 'key', v: value } })}\n`;
}

// Texts as PostgreSQL writes jsonb: a space after every `:` and `,`, keys sorted by length then bytes.
const JSONB_TEXTS = [
  '{"n": 1}',
  '[{"at": "2024-05-01T10:00:00.000Z", "status": "sent"}]',
  '{}',
  '[]',
  'null',
  'true',
  '"a string, with: separators"',
  '{"a": "quote \\" backslash \\\\ newline \\n tab \\t control \\u0001", "b": [null, false, -12, 0]}',
  '{"é": "✓ 😀 \u2028", "key with spaces": " x , y : z "}',
  '{"k": "ends in a backslash \\\\"}',
  '{"a": [[], {}, [1, [2, [3]]]]}',
  '123456789012345',
  '-12345678901234',
  // Numbers and keys JSON.stringify writes otherwise: these take the real round trip.
  '{"n": 1.50}',
  '{"n": 1e400}',
  '{"n": 12345678901234567890}',
  '{"n": -0}',
  '[0.1, 2E+3]',
  '{"a": 1, "10": 2}',
  '{"": 1, "a": 2}',
  '{"x": {"b": 1, "7": [1.0]}}',
];

describe('CopyLineWriter', () => {
  it.each(JSONB_TEXTS)('writes jsonb %s as JSON.stringify(JSON.parse(text))', (text) => {
    expect(lineOf('jsonb', text)).toBe(expectedLine(JSON.parse(text)));
  });

  it('writes json of any spacing as JavaScript does', () => {
    expect(lineOf('json', ' {"b" :\n1, "a":[ 1.0 ]} ')).toBe(expectedLine({ b: 1, a: [1] }));
  });

  it.each(['', 'plain', 'quote " backslash \\ slash /', 'tab \t newline \n return \r \b \f \v', 'control \u0001 \u001f del \u007f', 'é ✓ 😀 \u2028\u2029'])(
    'escapes text %j as JSON.stringify does',
    (text) => {
      expect(lineOf('text', text)).toBe(expectedLine(text));
    },
  );

  it.each([
    '2024-05-01 10:00:00.999999+00',
    '2024-05-01 10:00:00.5+00',
    '2024-05-01 10:00:00.12+00',
    '2024-05-01 10:00:00+00',
    '0100-01-01 00:00:00.123+00',
    '2024-05-01 12:00:00.5+02',
    '0099-06-01 12:00:00+00',
    '10000-01-01 00:00:00+00',
  ])('writes the instant %s as normaliseValue does', (text) => {
    expect(lineOf('datetime', text)).toBe(expectedLine(normaliseValue('datetime', text)));
  });

  it('refuses an instant normaliseValue refuses', () => {
    expect(() => lineOf('datetime', 'infinity')).toThrow('not a date');
  });

  it.each(['0', '-42', '123456789012345', '9007199254740993', '-9223372036854775808'])('writes the integer %s as Number does', (text) => {
    expect(lineOf('integer', text)).toBe(expectedLine(Number(text)));
  });

  it('writes booleans and nulls', () => {
    expect(lineOf('boolean', 't')).toBe(expectedLine(true));
    expect(lineOf('boolean', 'f')).toBe(expectedLine(false));
    for (const kind of ['text', 'jsonb', 'datetime', 'boolean', 'integer'] as const) expect(lineOf(kind, null)).toBe(expectedLine(null));
  });

  it('keeps many rows in one page and reads back the last key', () => {
    const writer = new CopyLineWriter('x', [{ name: 'k', kind: 'text' }, { name: 'v', kind: 'integer' }], 0, new PagePool());
    for (let i = 0; i < 3_000; i++) writer.writeRow(Buffer.from(`${copyField(`k'\\${i}`)}\t${i}\n`));
    expect(writer.lastKey()).toBe("k'\\2999");
    const lines = writer.take().toString('utf8').split('\n');
    expect(lines).toHaveLength(3_001);
    expect(lines[2_999]).toBe(JSON.stringify({ t: 'x', r: { k: "k'\\2999", v: 2_999 } }));
  });

  it('refuses a row whose fields do not match the columns', () => {
    const writer = new CopyLineWriter('x', [{ name: 'k', kind: 'text' }, { name: 'v', kind: 'integer' }], 0, new PagePool());
    expect(() => writer.writeRow(Buffer.from('key\n'))).toThrow('fewer fields');
    expect(() => writer.writeRow(Buffer.from('key\t1\t2\n'))).toThrow('more fields');
  });
});
