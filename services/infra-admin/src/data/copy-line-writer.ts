import { LineBuffer } from './line-buffer';
import type { PagePool } from './page-pool';
import { normaliseValue } from './value-codec';

/** How a column's COPY text becomes its JSON value. */
export type CopyValueKind = 'text' | 'jsonb' | 'json' | 'datetime' | 'boolean' | 'integer';

export interface CopyColumn {
  name: string;
  kind: CopyValueKind;
}

const TAB = 0x09;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const UPPER_N = 0x4e;
const UPPER_T = 0x54;
const UPPER_Z = 0x5a;
const BACKSLASH = 0x5c;
const LOWER_E = 0x65;
const LOWER_F = 0x66;
const LOWER_T = 0x74;
const LOWER_U = 0x75;
const HEX_DIGITS = Buffer.from('0123456789abcdef');
const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
/** Every byte may become `\u00XX`: the most one byte of COPY text can grow into. */
const MAX_GROWTH = 6;
/** Longest integer written as it is: 15 digits are always exact as a double. */
const EXACT_INTEGER_CHARS = 15;

/** The character each of COPY's escapes stands for (`\b \f \n \r \t \v \\`: all its text format writes). */
const COPY_ESCAPED = new Map([...'bfnrtv\\'].map((letter, i) => [letter.charCodeAt(0), [8, 12, 10, 13, 9, 11, BACKSLASH][i]]));
/** JSON.stringify's two-character escapes of control characters; the others become `\u00XX`. */
const JSON_ESCAPE_LETTER = new Map([...'bfnrt'].map((letter, i) => [[8, 12, 10, 13, 9][i], letter.charCodeAt(0)]));

/**
 * Writes rows of PostgreSQL's COPY text format (one row per call, tab-separated, `\N` for
 * null, ending in `\n`) as export lines, byte for byte what the generic path writes:
 * `JSON.stringify({ t, r })` of the values the ORM's driver reads, normalised. The bytes are
 * copied, escaped as JSON.stringify escapes, never decoded, except for the rare value whose
 * exact JSON needs JavaScript's own rules (see the fallbacks), which takes the generic route.
 */
export class CopyLineWriter extends LineBuffer {
  private readonly head: Buffer;
  private readonly keys: Buffer[];
  private readonly tail = Buffer.from('}}\n');
  private readonly fixedBytes: number;
  /** Room a row may still need: reserved again after a fallback wrote more than its share. */
  private rowBudget = 0;
  private keyStart = 0;
  private keyEnd = 0;

  constructor(
    table: string,
    private readonly columns: readonly CopyColumn[],
    private readonly keyColumn: number,
    pages: PagePool,
  ) {
    super(pages);
    this.head = Buffer.from(`{"t":${JSON.stringify(table)},"r":{`);
    this.keys = columns.map((c, i) => Buffer.from(`${i === 0 ? '' : ','}${JSON.stringify(c.name)}:`));
    this.fixedBytes = this.head.length + this.tail.length + this.keys.reduce((sum, key) => sum + key.length, 0);
  }

  /** Appends the line of one COPY row. */
  writeRow(row: Buffer): void {
    this.rowBudget = row.length * MAX_GROWTH + this.fixedBytes;
    this.reserve(this.rowBudget);
    this.put(this.head);
    let p = 0;
    for (let c = 0; c < this.columns.length; c++) {
      if (c > 0) {
        if (row[p] !== TAB) throw new Error('a COPY row has fewer fields than the table has columns');
        p += 1;
      }
      this.put(this.keys[c]);
      if (c === this.keyColumn) this.keyStart = this.length;
      p = row[p] === BACKSLASH && row[p + 1] === UPPER_N ? this.putNull(p) : this.value(this.columns[c].kind, row, p);
      if (c === this.keyColumn) this.keyEnd = this.length;
    }
    if (p !== row.length - 1 || row[p] !== NEWLINE) throw new Error('a COPY row has more fields than the table has columns');
    this.put(this.tail);
  }

  /** The primary key of the last row written, read back from its JSON (a string key). */
  lastKey(): string {
    return JSON.parse(this.bytes.toString('utf8', this.keyStart, this.keyEnd)) as string;
  }

  /** Writes one non-null value starting at `p`; returns where its field ends. */
  private value(kind: CopyValueKind, row: Buffer, p: number): number {
    switch (kind) {
      case 'text':
        return this.text(row, p);
      case 'jsonb':
        return this.jsonb(row, p);
      case 'json':
        return this.roundTripJson(row, p, this.length);
      case 'datetime':
        return this.datetime(row, p);
      case 'boolean':
        return this.boolean(row, p);
      case 'integer':
        return this.integer(row, p);
    }
  }

  private text(row: Buffer, p: number): number {
    const out = this.bytes;
    let o = this.length;
    out[o++] = QUOTE;
    for (;;) {
      let x = row[p];
      if (x === TAB || x === NEWLINE) break;
      p += 1;
      if (x === BACKSLASH) x = copyEscaped(row[p++]);
      if (x === QUOTE || x === BACKSLASH) {
        out[o++] = BACKSLASH;
        out[o++] = x;
      } else if (x < SPACE) {
        o = writeControl(out, o, x);
      } else {
        out[o++] = x;
      }
    }
    out[o++] = QUOTE;
    this.length = o;
    return p;
  }

  /**
   * jsonb's text puts a space after every `:` and `,` and none elsewhere outside strings, and
   * escapes strings as JSON.stringify does: dropping those spaces gives JSON.stringify's bytes.
   * Numbers that are not short integers (`1.50`, `1e400`, `-0`) and keys of digits (JavaScript
   * puts array indexes first in an object) take the real round trip instead.
   */
  private jsonb(row: Buffer, p: number): number {
    const start = p;
    const outStart = this.length;
    const out = this.bytes;
    let o = outStart;
    let inString = false;
    let escaped = false;
    let digitsOnly = false;
    for (;;) {
      let x = row[p];
      if (x === TAB || x === NEWLINE) break;
      p += 1;
      if (x === BACKSLASH) x = copyEscaped(row[p++]);
      if (inString) {
        out[o++] = x;
        if (escaped) {
          escaped = false;
        } else if (x === BACKSLASH) {
          escaped = true;
          digitsOnly = false;
        } else if (x === QUOTE) {
          inString = false;
          if (digitsOnly && row[p] === COLON) return this.roundTripJson(row, start, outStart);
        } else if (x < DIGIT_0 || x > DIGIT_9) {
          digitsOnly = false;
        }
      } else if (x === QUOTE) {
        inString = true;
        digitsOnly = true;
        out[o++] = x;
      } else if (x === MINUS || (x >= DIGIT_0 && x <= DIGIT_9)) {
        let end = p;
        while (row[end] >= DIGIT_0 && row[end] <= DIGIT_9) end += 1;
        const next = row[end];
        const negativeZero = x === MINUS && row[p] === DIGIT_0;
        if (negativeZero || next === DOT || next === LOWER_E || next === UPPER_E || end - p + 1 > EXACT_INTEGER_CHARS) return this.roundTripJson(row, start, outStart);
        out[o++] = x;
        while (p < end) out[o++] = row[p++];
      } else if (x !== SPACE) {
        out[o++] = x;
      }
    }
    this.length = o;
    return p;
  }

  /** `2024-05-01 10:00:00.123456+00` (UTC, ISO DateStyle, years 0100–9999) as `"2024-05-01T10:00:00.123Z"`. */
  private datetime(row: Buffer, p: number): number {
    const end = fieldEnd(row, p);
    if (!isUtcTimestamp(row, p, end)) {
      this.putString(JSON.stringify(normaliseValue('datetime', decodeField(row, p, end))));
      return end;
    }
    const out = this.bytes;
    let o = this.length;
    out[o++] = QUOTE;
    for (let i = 0; i < 10; i++) out[o++] = row[p + i];
    out[o++] = UPPER_T;
    for (let i = 11; i < 19; i++) out[o++] = row[p + i];
    out[o++] = DOT;
    // Milliseconds truncated, as `Date` parsing does.
    const fractionDigits = end - 3 - (p + 20);
    for (let i = 0; i < 3; i++) out[o++] = i < fractionDigits ? row[p + 20 + i] : DIGIT_0;
    out[o++] = UPPER_Z;
    out[o++] = QUOTE;
    this.length = o;
    return end;
  }

  private boolean(row: Buffer, p: number): number {
    if (row[p] === LOWER_T) this.put(TRUE);
    else if (row[p] === LOWER_F) this.put(FALSE);
    else throw new Error(`not a boolean: ${decodeField(row, p, fieldEnd(row, p))}`);
    return p + 1;
  }

  /** Digits as they are while exact as a double; past that, rounded as `Number` does. */
  private integer(row: Buffer, p: number): number {
    const end = fieldEnd(row, p);
    if (end - p > EXACT_INTEGER_CHARS) {
      this.putString(JSON.stringify(Number(decodeField(row, p, end))));
      return end;
    }
    const out = this.bytes;
    let o = this.length;
    while (p < end) out[o++] = row[p++];
    this.length = o;
    return end;
  }

  /** The field parsed and written again by JavaScript, in place of whatever was written from `outStart`. */
  private roundTripJson(row: Buffer, p: number, outStart: number): number {
    const end = fieldEnd(row, p);
    this.length = outStart;
    this.putString(JSON.stringify(JSON.parse(decodeField(row, p, end))));
    return end;
  }

  private putNull(p: number): number {
    this.put(NULL);
    return p + 2;
  }

  private put(bytes: Buffer): void {
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  private putString(text: string): void {
    // The rest of the row keeps its room whatever this value took.
    this.reserve(text.length * 3 + this.rowBudget);
    this.length += this.bytes.write(text, this.length);
  }
}

/** Where the field starting at `p` ends: at its tab, or at the row's newline. */
function fieldEnd(row: Buffer, p: number): number {
  while (row[p] !== TAB && row[p] !== NEWLINE) p += 1;
  return p;
}

/** A field's text, COPY escapes undone. */
function decodeField(row: Buffer, start: number, end: number): string {
  const bytes = Buffer.allocUnsafe(end - start);
  let length = 0;
  for (let p = start; p < end; p++) bytes[length++] = row[p] === BACKSLASH ? copyEscaped(row[++p]) : row[p];
  return bytes.toString('utf8', 0, length);
}

function copyEscaped(letter: number): number {
  const escaped = COPY_ESCAPED.get(letter);
  if (escaped === undefined) throw new Error(`unexpected COPY escape \\${String.fromCharCode(letter)}`);
  return escaped;
}

/** A control character as JSON.stringify writes it. */
function writeControl(out: Buffer, o: number, x: number): number {
  out[o++] = BACKSLASH;
  const letter = JSON_ESCAPE_LETTER.get(x);
  if (letter !== undefined) {
    out[o++] = letter;
    return o;
  }
  out[o++] = LOWER_U;
  out[o++] = DIGIT_0;
  out[o++] = DIGIT_0;
  out[o++] = HEX_DIGITS[x >> 4];
  out[o++] = HEX_DIGITS[x & 15];
  return o;
}

// `YYYY-MM-DD HH:MM:SS+00` or with `.F` to `.FFFFFF` before the offset.
const WHOLE_SECONDS_LENGTH = 22;
const LONGEST_LENGTH = 29;
const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const SEPARATORS: [number, number][] = [
  [4, MINUS],
  [7, MINUS],
  [10, SPACE],
  [13, COLON],
  [16, COLON],
];

/**
 * A timestamptz as PostgreSQL writes it in UTC with the ISO DateStyle, for years 0100–9999.
 * Anything else (another offset or style, infinity, BC, other years) goes through
 * normaliseValue, as on the generic path.
 */
function isUtcTimestamp(row: Buffer, start: number, end: number): boolean {
  const length = end - start;
  if (length !== WHOLE_SECONDS_LENGTH && (length < WHOLE_SECONDS_LENGTH + 2 || length > LONGEST_LENGTH)) return false;
  for (const i of DIGIT_POSITIONS) if (!isDigit(row[start + i])) return false;
  for (const [i, separator] of SEPARATORS) if (row[start + i] !== separator) return false;
  if (row[start] === DIGIT_0 && row[start + 1] === DIGIT_0) return false;
  if (row[end - 3] !== PLUS || row[end - 2] !== DIGIT_0 || row[end - 1] !== DIGIT_0) return false;
  if (length === WHOLE_SECONDS_LENGTH) return true;
  if (row[start + 19] !== DOT) return false;
  for (let p = start + 20; p < end - 3; p++) if (!isDigit(row[p])) return false;
  return true;
}

function isDigit(x: number): boolean {
  return x >= DIGIT_0 && x <= DIGIT_9;
}
