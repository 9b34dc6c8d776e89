import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { GZIP_BLOCK_BYTES, ParallelGzip } from './parallel-gzip';

async function compress(chunks: Buffer[]): Promise<{ output: Buffer; members: number }> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    new ParallelGzip(1),
    new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        parts.push(chunk);
        done();
      },
    }),
  );
  // Every member starts with the gzip magic bytes and is pushed on its own.
  return { output: Buffer.concat(parts), members: parts.filter((part) => part[0] === 0x1f && part[1] === 0x8b).length };
}

describe('ParallelGzip', () => {
  it('writes gzip members in input order, read back as one stream', async () => {
    const chunks = Array.from({ length: 9 }, (_, i) => (i % 2 ? randomBytes(700_000) : Buffer.alloc(500_000, i)));
    const { output, members } = await compress(chunks);
    expect(gunzipSync(output).equals(Buffer.concat(chunks))).toBe(true);
    // Blocks close at the first chunk that reaches GZIP_BLOCK_BYTES: at most one member per block.
    expect(members).toBeGreaterThan(1);
    expect(members).toBeLessThanOrEqual(Math.ceil(Buffer.concat(chunks).length / GZIP_BLOCK_BYTES));
  });

  it('compresses what compresses', async () => {
    const text = Buffer.alloc(3 * GZIP_BLOCK_BYTES, 'plugboard ');
    expect((await compress([text])).output.length).toBeLessThan(text.length / 50);
  });

  it('turns an empty input into a valid empty gzip stream', async () => {
    const { output } = await compress([]);
    expect(gunzipSync(output).length).toBe(0);
  });
});
