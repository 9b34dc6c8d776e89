import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { PassThrough, type Readable } from 'node:stream';

export interface MultipartFile {
  filename?: string;
  contentType?: string;
  /** The file's bytes, streamed as they arrive; errors when the body ends before the closing boundary. */
  stream: Readable;
}

const MAX_HEADER_BYTES = 16 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!/^multipart\/form-data\s*;/i.test(contentType ?? '')) return undefined;
  // RFC 2046 caps a boundary at 70 characters: a longer one is refused, not cut short.
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))(?=[\s;]|$)/i.exec(contentType ?? '');
  return match?.[1] ?? match?.[2];
}

/**
 * Streams the first part with a `filename` out of a multipart/form-data body (other parts
 * before it are skipped, parts after it drained). Holds at most one chunk plus a boundary in
 * memory: the file itself is never buffered, nor its chunks copied. Resolves once the file
 * part's headers are read.
 */
export function readMultipartFile(body: Readable, boundary: string): Promise<MultipartFile> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const out = new PassThrough();
  return new Promise<MultipartFile>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (!settled) reject(error);
      else out.destroy(error);
      settled = true;
      body.destroy();
    };
    let state: 'preamble' | 'headers' | 'skip' | 'file' | 'done' = 'preamble';
    let tail: Buffer = EMPTY;
    const feedFile = async (chunk: Buffer) => {
      const scanned = scanFileChunk(tail, chunk, delimiter);
      for (const piece of scanned.out) if (piece.length > 0 && !out.write(piece)) await new Promise((r) => out.once('drain', r));
      tail = scanned.tail;
      if (scanned.done) {
        out.end();
        state = 'done';
      }
    };
    const run = async () => {
      // A leading CRLF lets the first boundary match the same delimiter as the others.
      let buffer = Buffer.from('\r\n');
      for await (const chunk of body) {
        if (state === 'file') await feedFile(chunk as Buffer);
        if (state === 'file' || state === 'done') continue;
        buffer = Buffer.concat([buffer, chunk as Buffer]);
        for (;;) {
          if (state === 'preamble' || state === 'skip') {
            const at = buffer.indexOf(delimiter);
            if (at < 0) {
              buffer = buffer.subarray(Math.max(0, buffer.length - delimiter.length));
              break;
            }
            buffer = buffer.subarray(at + delimiter.length);
            state = 'headers';
          } else {
            const end = buffer.indexOf(CRLF2);
            if (end < 0) {
              if (buffer.length > MAX_HEADER_BYTES) throw invalid('part headers too long');
              break;
            }
            const headers = buffer.subarray(0, end).toString('latin1');
            buffer = buffer.subarray(end + CRLF2.length);
            if (headers.startsWith('--')) throw invalid('no file part (a part with a filename)');
            const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? '';
            const filename = /filename\*=UTF-8''([^;\r\n]+)/i.exec(disposition)?.[1] ?? /filename="([^"]*)"/i.exec(disposition)?.[1];
            if (filename === undefined) {
              state = 'skip';
              continue;
            }
            state = 'file';
            settled = true;
            resolve({ filename: decodeFilename(filename), contentType: /^content-type:\s*(.+?)\s*$/im.exec(headers)?.[1], stream: out });
            await feedFile(buffer);
            break;
          }
        }
      }
      if (state !== 'done') throw invalid('multipart body ended before the file part was complete');
    };
    run().catch((error: unknown) => fail(error instanceof ServiceError ? error : invalid(error instanceof Error ? error.message : String(error))));
  });
}

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * One chunk of the file part: the bytes that can go out now, the tail that must wait (it may be
 * the start of the delimiter), and whether the delimiter ended the part. `tail` is at most one
 * byte shorter than the delimiter. Only that short tail is ever joined with the chunk's first
 * bytes (to find a delimiter across the edge); the chunk itself goes out as slices of itself.
 */
export function scanFileChunk(tail: Buffer, chunk: Buffer, delimiter: Buffer): { out: Buffer[]; tail: Buffer; done: boolean } {
  const keep = delimiter.length - 1;
  if (chunk.length < keep) {
    const joined = Buffer.concat([tail, chunk]);
    const at = joined.indexOf(delimiter);
    if (at >= 0) return { out: [joined.subarray(0, at)], tail: EMPTY, done: true };
    const cut = Math.max(0, joined.length - keep);
    return { out: [joined.subarray(0, cut)], tail: joined.subarray(cut), done: false };
  }
  if (tail.length > 0) {
    // A delimiter that starts in the tail ends within the chunk's first `keep` bytes.
    const at = Buffer.concat([tail, chunk.subarray(0, keep)]).indexOf(delimiter);
    if (at >= 0 && at < tail.length) return { out: [tail.subarray(0, at)], tail: EMPTY, done: true };
  }
  const at = chunk.indexOf(delimiter);
  if (at >= 0) return { out: [tail, chunk.subarray(0, at)], tail: EMPTY, done: true };
  return { out: [tail, chunk.subarray(0, chunk.length - keep)], tail: chunk.subarray(chunk.length - keep), done: false };
}

function decodeFilename(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function invalid(reason: string): ServiceError {
  return new ServiceError(ErrorCode.ValidationFailed, `invalid multipart body: ${reason}`);
}
