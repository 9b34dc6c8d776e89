import { ErrorCode } from '@plugboard/contracts';
import { createHash } from 'node:crypto';
import { ContentDigest, type DigestLimits } from './content-digest';
import { StorageError } from './storage.errors';

function digestOf(chunks: Buffer[], limits: Omit<DigestLimits, 'key'> = {}) {
  const digest = new ContentDigest({ key: 'k', ...limits });
  chunks.forEach((chunk) => digest.update(chunk));
  digest.end();
  return { size: digest.size, sha256: digest.sha256() };
}

function failure(chunks: Buffer[], limits: Omit<DigestLimits, 'key'>): StorageError {
  try {
    digestOf(chunks, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected a StorageError');
}

describe('ContentDigest', () => {
  const chunks = [Buffer.from('hello '), Buffer.from('world')];

  it('counts and hashes what passes', () => {
    expect(digestOf(chunks)).toEqual({ size: 11, sha256: createHash('sha256').update('hello world').digest('hex') });
    expect(digestOf(chunks, { size: 11 })).toMatchObject({ size: 11 });
  });

  it('fails on more or fewer bytes than declared', () => {
    expect(failure(chunks, { size: 10 }).code).toBe(ErrorCode.ValidationFailed);
    expect(failure(chunks, { size: 12 }).code).toBe(ErrorCode.ValidationFailed);
  });

  it('fails past the maximum, and up front when the declared size is already above it', () => {
    expect(failure(chunks, { maxBytes: 8 }).code).toBe(ErrorCode.PayloadTooLarge);
    expect(() => new ContentDigest({ key: 'k', size: 9, maxBytes: 8 })).toThrow(StorageError);
  });

  it('refuses a size that is not a non-negative integer', () => {
    expect(() => new ContentDigest({ key: 'k', size: -1 })).toThrow(/non-negative integer/);
    expect(() => new ContentDigest({ key: 'k', size: 1.5 })).toThrow(/non-negative integer/);
  });
});
