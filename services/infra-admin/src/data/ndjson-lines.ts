import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { Readable } from 'node:stream';

/** A longer line is refused instead of buffered: no row of ours comes near it. */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

/** The lines (without `\n`) of a UTF-8 text stream, as they arrive; the stream's errors are thrown. */
export async function* readLines(text: Readable): AsyncGenerator<string> {
  text.setEncoding('utf8');
  let rest = '';
  for await (const chunk of text as AsyncIterable<string>) {
    let start = 0;
    let end = chunk.indexOf('\n');
    if (end === -1) {
      rest += chunk;
    } else {
      yield rest + chunk.slice(0, end);
      rest = '';
      start = end + 1;
      while ((end = chunk.indexOf('\n', start)) !== -1) {
        yield chunk.slice(start, end);
        start = end + 1;
      }
      rest = chunk.slice(start);
    }
    if (rest.length > MAX_LINE_CHARS) throw new ServiceError(ErrorCode.ImportInvalid, `a line is longer than ${MAX_LINE_CHARS} characters`);
  }
  if (rest.length > 0) yield rest;
}
