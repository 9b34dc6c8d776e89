import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompressedInput, ZLIB_CHUNK_BYTES } from './archive-guards';

describe('CompressedInput', () => {
  it('passes every byte in order, joined into pieces of at least ZLIB_CHUNK_BYTES but the last, and counts them', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(65_536 + i, i));
    const input = new CompressedInput();
    const pieces: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      input,
      new Writable({
        write: (piece: Buffer, _encoding, done) => {
          pieces.push(piece);
          done();
        },
      }),
    );
    const whole = Buffer.concat(chunks);
    expect(Buffer.concat(pieces).equals(whole)).toBe(true);
    expect(pieces.slice(0, -1).every((piece) => piece.length >= ZLIB_CHUNK_BYTES)).toBe(true);
    expect(pieces.length).toBe(3);
    expect(input.count).toBe(whole.length);
  });
});
