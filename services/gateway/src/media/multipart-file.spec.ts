import { ErrorCode } from '@plugboard/contracts';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { multipartBoundary, readMultipartFile } from './multipart-file';

const BOUNDARY = '----plugboardBoundary7MA4YWxk';

/** A multipart/form-data body from parts, as a browser would send it. */
function body(parts: { headers: string[]; content: Buffer | string }[], close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${BOUNDARY}\r\n${part.headers.join('\r\n')}\r\n\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

/** Streams `bytes` in chunks of `size`, so boundaries fall across chunk edges. */
function chunked(bytes: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return Readable.from(pieces);
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const filePart = (content: Buffer | string, filename = 'photo.png', type = 'image/png') => ({
  headers: [`Content-Disposition: form-data; name="file"; filename="${filename}"`, `Content-Type: ${type}`],
  content,
});

describe('multipartBoundary', () => {
  it.each([
    ['multipart/form-data; boundary=abc123', 'abc123'],
    ['Multipart/Form-Data;boundary="quoted boundary"', 'quoted boundary'],
    ['multipart/form-data; charset=utf-8; boundary=xyz; other=1', 'xyz'],
  ])('finds the boundary of %j', (type, boundary) => {
    expect(multipartBoundary(type)).toBe(boundary);
  });

  it.each([[undefined], ['application/octet-stream'], ['multipart/mixed; boundary=abc'], ['multipart/form-data'], [`multipart/form-data; boundary=${'x'.repeat(71)}`]])(
    'is undefined for %j',
    (type) => {
      expect(multipartBoundary(type)).toBeUndefined();
    },
  );
});

describe('readMultipartFile', () => {
  // 32, 33 and 34 bytes: one less than, as long as, and one more than the delimiter.
  it.each([1, 7, 32, 33, 34, 64, 65_536])('streams the file part byte for byte with chunks of %i bytes', async (size) => {
    // Bytes that look like the start of a delimiter inside the file must stay in it.
    const content = Buffer.concat([randomBytes(10_000), Buffer.from(`\r\n--${BOUNDARY.slice(0, 10)}`), randomBytes(5_000), Buffer.from('\r\n-')]);
    const raw = body([{ headers: ['Content-Disposition: form-data; name="caption"'], content: 'skipped field' }, filePart(content), { headers: ['Content-Disposition: form-data; name="after"'], content: 'drained' }]);
    const file = await readMultipartFile(chunked(raw, size), BOUNDARY);
    expect(file).toMatchObject({ filename: 'photo.png', contentType: 'image/png' });
    const got = await drain(file.stream);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(content).digest('hex'));
  });

  it('reads an empty file and a UTF-8 filename* parameter', async () => {
    const raw = body([{ headers: [`Content-Disposition: form-data; name="file"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt`], content: '' }]);
    const file = await readMultipartFile(Readable.from([raw]), BOUNDARY);
    expect(file.filename).toBe('résumé.txt');
    expect(file.contentType).toBeUndefined();
    expect((await drain(file.stream)).length).toBe(0);
  });

  it('refuses a body with no file part', async () => {
    const raw = body([{ headers: ['Content-Disposition: form-data; name="only"'], content: 'text' }]);
    await expect(readMultipartFile(Readable.from([raw]), BOUNDARY)).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
  });

  it('refuses part headers that never end', async () => {
    const raw = Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nX-Filler: `), Buffer.alloc(20_000, 'a')]);
    await expect(readMultipartFile(Readable.from([raw]), BOUNDARY)).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
  });

  it('fails the file stream when the body ends before the closing boundary', async () => {
    const raw = body([filePart(randomBytes(1_000))], false);
    const cut = raw.subarray(0, raw.length - 100);
    const file = await readMultipartFile(Readable.from([cut]), BOUNDARY);
    await expect(drain(file.stream)).rejects.toMatchObject({ code: ErrorCode.ValidationFailed, message: expect.stringMatching(/ended before/) });
  });

  it('fails when the request itself errors before the file part', async () => {
    const source = new Readable({ read() {} });
    const pending = readMultipartFile(source, BOUNDARY);
    source.destroy(new Error('connection reset'));
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.ValidationFailed, message: expect.stringMatching(/connection reset/) });
  });

  it('stops reading the body while the file stream is not consumed (backpressure)', async () => {
    const content = randomBytes(4 * 1024 * 1024);
    const raw = body([filePart(content)]);
    let pulled = 0;
    const pieces = (function* () {
      for (let at = 0; at < raw.length; at += 16_384) {
        pulled += 16_384;
        yield raw.subarray(at, at + 16_384);
      }
    })();
    const file = await readMultipartFile(Readable.from(pieces), BOUNDARY);
    await new Promise((r) => setTimeout(r, 50));
    expect(pulled).toBeLessThan(content.length / 4);
    expect((await drain(file.stream)).equals(content)).toBe(true);
  });
});
