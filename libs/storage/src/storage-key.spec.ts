import { ErrorCode } from '@plugboard/contracts';
import { MAX_KEY_BYTES, MAX_SEGMENT_BYTES, assertValidKey, assertValidPrefix, isValidKey } from './storage-key';
import { StorageError } from './storage.errors';

function refusal(check: () => unknown): StorageError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected INVALID_KEY');
}

describe('assertValidKey', () => {
  it.each(['a.jpg', 'a/b/c.ext', 'session-1/2024/01/uuid_x.ogg', 'ünïcode/ファイル.png', 'a..b/c', `${'x'.repeat(MAX_SEGMENT_BYTES)}`])(
    'accepts %s',
    (key) => {
      expect(assertValidKey(key)).toBe(key);
      expect(isValidKey(key)).toBe(true);
    },
  );

  it.each([
    ['parent segment', '../x'],
    ['parent segment in the middle', 'a/../../x'],
    ['trailing parent segment', 'a/..'],
    ['current segment', 'a/./b'],
    ['hidden segment', 'a/.tmp'],
    ['absolute path', '/etc/passwd'],
    ['backslash', 'a\\..\\b'],
    ['NUL', 'a\u0000b'],
    ['newline', 'a\nb'],
    ['DEL', 'a\u007fb'],
    ['C1 control', 'a\u0085b'],
    ['empty segment', 'a//b'],
    ['trailing slash', 'a/'],
    ['empty key', ''],
    ['too long a segment', 'x'.repeat(MAX_SEGMENT_BYTES + 1)],
    ['too long a key', Array.from({ length: 6 }, () => 'y'.repeat(180)).join('/')],
    ['too many bytes once UTF-8 encoded', Array.from({ length: 6 }, () => 'é'.repeat(90)).join('/')],
  ])('refuses a %s', (_reason, key) => {
    expect(refusal(() => assertValidKey(key)).code).toBe(ErrorCode.InvalidKey);
    expect(isValidKey(key)).toBe(false);
  });

  it('refuses non-strings', () => {
    expect(refusal(() => assertValidKey(undefined)).code).toBe(ErrorCode.InvalidKey);
    expect(refusal(() => assertValidKey(42)).code).toBe(ErrorCode.InvalidKey);
  });

  it('keeps the whole-key limit at S3’s', () => {
    expect(MAX_KEY_BYTES).toBe(1024);
  });
});

describe('assertValidPrefix', () => {
  it.each(['', 'a', 'a/', 'a/b', 'a/b/'])('accepts %j', (prefix) => {
    expect(assertValidPrefix(prefix)).toBe(prefix);
  });

  it.each(['/', '../', 'a//', '/a', 'a/../'])('refuses %j', (prefix) => {
    expect(refusal(() => assertValidPrefix(prefix)).code).toBe(ErrorCode.InvalidKey);
  });
});
