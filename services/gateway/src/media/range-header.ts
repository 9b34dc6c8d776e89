import type { MediaRange } from '@plugboard/contracts';

/**
 * One `bytes=` range of a Range header (`a-b`, `a-`, `-n`). Anything else — several ranges,
 * other units, garbage — is ignored and the whole file is served, as RFC 9110 allows.
 */
export function parseRangeHeader(header: string | undefined): MediaRange | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1], match[2]].map((v) => (v === '' ? undefined : Number(v)));
  if ((first !== undefined && !Number.isSafeInteger(first)) || (last !== undefined && !Number.isSafeInteger(last))) return undefined;
  if (first === undefined) return { suffix: last as number };
  if (last !== undefined && last < first) return undefined;
  return { start: first, end: last };
}
