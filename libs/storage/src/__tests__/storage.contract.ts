import { ErrorCode } from '@plugboard/contracts';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { StorageError } from '../storage.errors';
import { StoragePort } from '../storage.port';

export interface StorageContractContext {
  storage: StoragePort;
  /** Temp or spool files the plug left behind (must be none after every call). */
  leftovers(): Promise<string[]>;
}

export interface StorageContractOptions {
  /** How many tiny objects the listing test writes; above 1000 it crosses an S3 page. */
  manyObjects: number;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A stream of `data` in chunks, with no size known up front. */
function chunked(data: Buffer, chunkSize = 16 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += chunkSize) chunks.push(data.subarray(offset, offset + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

/** Yields `head`, then fails like a dropped upload (with the code an aborted HTTP request carries). */
function failingAfter(head: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield head;
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw Object.assign(new Error('client went away'), { code: 'ECONNRESET' });
    })(),
    { objectMode: false },
  );
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The StorageError `promise` fails with (and fails the test when it does not). */
export async function storageError(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected a StorageError');
}

async function listAll(storage: StoragePort, prefix: string): Promise<Array<{ key: string; size: number }>> {
  const found: Array<{ key: string; size: number }> = [];
  for await (const item of storage.list(prefix)) found.push(item);
  return found.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * The behaviour every files plug must show, run against the real backend. `setup` returns a
 * ready (opened) storage with nothing stored; each test gets its own key space.
 */
export function runStorageContract(name: string, setup: () => Promise<StorageContractContext>, options: StorageContractOptions): void {
  describe(`StoragePort contract: ${name}`, () => {
    let ctx: StorageContractContext;
    let storage: StoragePort;
    let space = 0;
    let ns: string;

    beforeAll(async () => {
      ctx = await setup();
      storage = ctx.storage;
    });
    beforeEach(() => {
      ns = `t${++space}`;
    });
    afterEach(async () => {
      expect(await ctx.leftovers()).toEqual([]);
    });

    describe('put and get', () => {
      it('round-trips bytes with a known size, returning size and sha256', async () => {
        const data = randomBytes(300_000);
        const put = await storage.put(`${ns}/a/photo.jpg`, chunked(data), { size: data.length, contentType: 'image/jpeg' });
        expect(put).toEqual({ key: `${ns}/a/photo.jpg`, size: data.length, sha256: sha256(data) });
        const got = await storage.get(`${ns}/a/photo.jpg`);
        expect(got.size).toBe(data.length);
        expect(got.contentType).toBe('image/jpeg');
        expect(got.range).toBeUndefined();
        expect((await readAll(got.stream)).equals(data)).toBe(true);
      });

      it('round-trips a stream of unknown size', async () => {
        const data = randomBytes(1024 * 1024 + 17);
        const put = await storage.put(`${ns}/video.mp4`, chunked(data, 64 * 1024));
        expect(put.size).toBe(data.length);
        expect(put.sha256).toBe(sha256(data));
        expect((await readAll((await storage.get(`${ns}/video.mp4`)).stream)).equals(data)).toBe(true);
      });

      it('stores an empty object', async () => {
        const put = await storage.put(`${ns}/empty.txt`, Readable.from([]), { size: 0 });
        expect(put).toEqual({ key: `${ns}/empty.txt`, size: 0, sha256: sha256(Buffer.alloc(0)) });
        const got = await storage.get(`${ns}/empty.txt`);
        expect(got.size).toBe(0);
        expect((await readAll(got.stream)).length).toBe(0);
      });

      it('keeps the content type, defaulting to application/octet-stream', async () => {
        await storage.put(`${ns}/voice.ogg`, chunked(Buffer.from('ogg')), { contentType: 'audio/ogg; codecs=opus' });
        expect((await storage.stat(`${ns}/voice.ogg`))?.contentType).toBe('audio/ogg; codecs=opus');
        await storage.put(`${ns}/voice.ogg`, chunked(Buffer.from('raw')));
        expect((await storage.stat(`${ns}/voice.ogg`))?.contentType).toBe('application/octet-stream');
        const got = await storage.get(`${ns}/voice.ogg`);
        got.stream.destroy();
        expect(got.contentType).toBe('application/octet-stream');
      });

      it('refuses a content type that is not header-safe', async () => {
        const error = await storageError(storage.put(`${ns}/x.bin`, chunked(Buffer.from('x')), { contentType: 'text/plain\r\nX-Evil: 1' }));
        expect(error.code).toBe(ErrorCode.ValidationFailed);
        expect(await storage.exists(`${ns}/x.bin`)).toBe(false);
      });

      it('fails with NOT_FOUND for a missing key', async () => {
        expect((await storageError(storage.get(`${ns}/missing.bin`))).code).toBe(ErrorCode.NotFound);
      });

      it('replaces an object on overwrite', async () => {
        await storage.put(`${ns}/doc.pdf`, chunked(Buffer.from('version one')), { contentType: 'application/pdf' });
        await storage.put(`${ns}/doc.pdf`, chunked(Buffer.from('v2')), { size: 2, contentType: 'application/pdf' });
        const got = await storage.get(`${ns}/doc.pdf`);
        expect((await readAll(got.stream)).toString()).toBe('v2');
        expect(got.size).toBe(2);
        expect(await listAll(storage, `${ns}/`)).toEqual([{ key: `${ns}/doc.pdf`, size: 2 }]);
      });
    });

    describe('ranges', () => {
      const data = Buffer.from('0123456789abcdef');
      beforeEach(async () => {
        await storage.put(`${ns}/r.bin`, chunked(data), { size: data.length, contentType: 'text/plain' });
      });

      it('reads from a start to the end', async () => {
        const got = await storage.get(`${ns}/r.bin`, { start: 10 });
        expect(got).toMatchObject({ size: 16, range: { start: 10, end: 15 }, contentType: 'text/plain' });
        expect((await readAll(got.stream)).toString()).toBe('abcdef');
      });

      it('reads an inclusive start-end range', async () => {
        const got = await storage.get(`${ns}/r.bin`, { start: 2, end: 5 });
        expect(got.range).toEqual({ start: 2, end: 5 });
        expect((await readAll(got.stream)).toString()).toBe('2345');
      });

      it('reads the last byte alone', async () => {
        const got = await storage.get(`${ns}/r.bin`, { start: 15, end: 15 });
        expect((await readAll(got.stream)).toString()).toBe('f');
      });

      it('clips an end past the last byte', async () => {
        const got = await storage.get(`${ns}/r.bin`, { start: 14, end: 1000 });
        expect(got.range).toEqual({ start: 14, end: 15 });
        expect((await readAll(got.stream)).toString()).toBe('ef');
      });

      it('fails with RANGE_NOT_SATISFIABLE past the end, and for any range of an empty object', async () => {
        expect((await storageError(storage.get(`${ns}/r.bin`, { start: 16 }))).code).toBe(ErrorCode.RangeNotSatisfiable);
        expect((await storageError(storage.get(`${ns}/r.bin`, { start: 99, end: 120 }))).code).toBe(ErrorCode.RangeNotSatisfiable);
        await storage.put(`${ns}/empty.bin`, Readable.from([]), { size: 0 });
        expect((await storageError(storage.get(`${ns}/empty.bin`, { start: 0 }))).code).toBe(ErrorCode.RangeNotSatisfiable);
      });

      it('fails with VALIDATION_FAILED for a malformed range', async () => {
        expect((await storageError(storage.get(`${ns}/r.bin`, { start: 5, end: 2 }))).code).toBe(ErrorCode.ValidationFailed);
        expect((await storageError(storage.get(`${ns}/r.bin`, { start: -1 }))).code).toBe(ErrorCode.ValidationFailed);
      });
    });

    describe('stat, exists, delete', () => {
      it('describes a stored object and nothing for a missing one', async () => {
        const before = Date.now();
        await storage.put(`${ns}/s.txt`, chunked(Buffer.from('hello')), { contentType: 'text/plain' });
        const stat = await storage.stat(`${ns}/s.txt`);
        expect(stat).toMatchObject({ size: 5, contentType: 'text/plain' });
        expect(stat?.modifiedAt).toBeInstanceOf(Date);
        // Second-resolution servers round down, hence the slack.
        expect(stat!.modifiedAt.getTime()).toBeGreaterThan(before - 5_000);
        expect(await storage.stat(`${ns}/nothing.txt`)).toBeNull();
        expect(await storage.exists(`${ns}/s.txt`)).toBe(true);
        expect(await storage.exists(`${ns}/nothing.txt`)).toBe(false);
      });

      it('deletes, and deleting again (or a missing key) is fine', async () => {
        await storage.put(`${ns}/d/x.txt`, chunked(Buffer.from('x')));
        await storage.delete(`${ns}/d/x.txt`);
        expect(await storage.exists(`${ns}/d/x.txt`)).toBe(false);
        await expect(storage.delete(`${ns}/d/x.txt`)).resolves.toBeUndefined();
        await expect(storage.delete(`${ns}/never/was.txt`)).resolves.toBeUndefined();
        expect((await storageError(storage.get(`${ns}/d/x.txt`))).code).toBe(ErrorCode.NotFound);
      });

      it('moves an object with its content type over an existing one, and NOT_FOUND for a missing source', async () => {
        await storage.put(`${ns}/m/from.txt`, chunked(Buffer.from('moved')), { contentType: 'text/plain' });
        await storage.put(`${ns}/n/to.txt`, chunked(Buffer.from('old')), { contentType: 'image/png' });
        await storage.move(`${ns}/m/from.txt`, `${ns}/n/to.txt`);
        expect(await storage.exists(`${ns}/m/from.txt`)).toBe(false);
        const got = await storage.get(`${ns}/n/to.txt`);
        expect((await readAll(got.stream)).toString()).toBe('moved');
        expect(got.contentType).toBe('text/plain');
        await storage.put(`${ns}/m/plain.bin`, chunked(Buffer.from('p')));
        await storage.move(`${ns}/m/plain.bin`, `${ns}/n/to.txt`);
        expect((await storage.stat(`${ns}/n/to.txt`))?.contentType).toBe('application/octet-stream');
        expect((await storageError(storage.move(`${ns}/m/none.txt`, `${ns}/n/x.txt`))).code).toBe(ErrorCode.NotFound);
        await storage.delete(`${ns}/n/to.txt`);
      });
    });

    describe('list', () => {
      it('lists by string prefix with sizes', async () => {
        await storage.put(`${ns}/chat1/a.jpg`, chunked(Buffer.from('aa')));
        await storage.put(`${ns}/chat1/b/c.jpg`, chunked(Buffer.from('ccc')));
        await storage.put(`${ns}/chat12/d.jpg`, chunked(Buffer.from('d')));
        await storage.put(`${ns}/other/e.jpg`, chunked(Buffer.from('e')));
        expect(await listAll(storage, `${ns}/chat1/`)).toEqual([
          { key: `${ns}/chat1/a.jpg`, size: 2 },
          { key: `${ns}/chat1/b/c.jpg`, size: 3 },
        ]);
        expect((await listAll(storage, `${ns}/chat1`)).map((o) => o.key)).toEqual([`${ns}/chat1/a.jpg`, `${ns}/chat1/b/c.jpg`, `${ns}/chat12/d.jpg`]);
        expect((await listAll(storage, `${ns}/chat1/b`)).map((o) => o.key)).toEqual([`${ns}/chat1/b/c.jpg`]);
        expect(await listAll(storage, `${ns}/nothing/`)).toEqual([]);
        expect((await listAll(storage, '')).filter((o) => o.key.startsWith(`${ns}/`))).toHaveLength(4);
      });

      it('refuses an invalid prefix', async () => {
        const iterate = async () => {
          for await (const item of storage.list('../')) void item;
        };
        expect((await storageError(iterate())).code).toBe(ErrorCode.InvalidKey);
      });
    });

    describe('keys', () => {
      const bad = ['../escape.txt', 'a/../../escape.txt', '/etc/passwd', 'a\\b.txt', 'nul\u0000.txt', 'bell\u0007.txt', 'a//b.txt', 'a/', '', '.hidden', 'a/./b', `${'x'.repeat(1025)}`];

      it.each(bad.map((key) => [JSON.stringify(key), key]))('refuses %s with INVALID_KEY and writes nothing', async (_label, key) => {
        const source = chunked(Buffer.from('payload'));
        expect((await storageError(storage.put(key, source))).code).toBe(ErrorCode.InvalidKey);
        expect(source.destroyed).toBe(true);
        expect((await storageError(storage.get(key))).code).toBe(ErrorCode.InvalidKey);
        expect((await storageError(storage.stat(key))).code).toBe(ErrorCode.InvalidKey);
        expect((await storageError(storage.delete(key))).code).toBe(ErrorCode.InvalidKey);
        expect((await listAll(storage, '')).filter((o) => o.key.includes('escape') || o.key.includes('passwd'))).toEqual([]);
      });
    });

    describe('failed puts leave nothing behind', () => {
      it('a stream that errors midway stores nothing', async () => {
        const error = await storageError(storage.put(`${ns}/broken.bin`, failingAfter(randomBytes(100_000))));
        expect(error.code).toBe(ErrorCode.ValidationFailed);
        expect(error.message).toMatch(/client went away/);
        // The caller's failure is not the backend's: the plug stays up.
        expect((await storage.health()).status).toBe('up');
        expect(await storage.exists(`${ns}/broken.bin`)).toBe(false);
        expect(await listAll(storage, `${ns}/`)).toEqual([]);
      });

      it('a stream that errors midway leaves the previous version intact', async () => {
        await storage.put(`${ns}/keep.bin`, chunked(Buffer.from('old content')), { contentType: 'text/plain' });
        await storageError(storage.put(`${ns}/keep.bin`, failingAfter(randomBytes(50_000)), { contentType: 'image/png' }));
        const got = await storage.get(`${ns}/keep.bin`);
        expect((await readAll(got.stream)).toString()).toBe('old content');
        expect(got.contentType).toBe('text/plain');
      });

      it('a stream longer than the declared size fails with VALIDATION_FAILED', async () => {
        const error = await storageError(storage.put(`${ns}/long.bin`, chunked(randomBytes(5000)), { size: 4000 }));
        expect(error.code).toBe(ErrorCode.ValidationFailed);
        expect(await storage.exists(`${ns}/long.bin`)).toBe(false);
      });

      it('a stream shorter than the declared size fails with VALIDATION_FAILED', async () => {
        const error = await storageError(storage.put(`${ns}/short.bin`, chunked(randomBytes(3000)), { size: 4000 }));
        expect(error.code).toBe(ErrorCode.ValidationFailed);
        expect(await storage.exists(`${ns}/short.bin`)).toBe(false);
        expect(await listAll(storage, `${ns}/`)).toEqual([]);
      });
    });

    // Last, so the listings of earlier tests stay small.
    describe('list at scale', () => {
      it(`streams ${options.manyObjects} objects page by page`, async () => {
        const keys = Array.from({ length: options.manyObjects }, (_, i) => `${ns}/many/${String(i).padStart(5, '0')}.txt`);
        for (let i = 0; i < keys.length; i += 50) {
          await Promise.all(keys.slice(i, i + 50).map((key) => storage.put(key, Readable.from([Buffer.from('x')]), { size: 1 })));
        }
        const seen = new Set<string>();
        for await (const item of storage.list(`${ns}/many/`)) {
          expect(item.size).toBe(1);
          seen.add(item.key);
        }
        expect(seen.size).toBe(keys.length);
        expect(keys.every((key) => seen.has(key))).toBe(true);
      }, 120_000);
    });

    it('reports health up', async () => {
      const health = await storage.health();
      expect(health).toMatchObject({ socket: 'files', plug: storage.plug, status: 'up' });
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    });
  });
}
