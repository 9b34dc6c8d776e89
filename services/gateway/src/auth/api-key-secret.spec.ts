import { createHash } from 'node:crypto';
import { generateApiKey, hashApiKey } from './api-key-secret';

describe('API key secrets', () => {
  it('hashes a key as hex SHA-256 of its UTF-8 bytes, the form stored hashes have', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey('pb_schlüssel')).toBe(createHash('sha256').update(Buffer.from('pb_schlüssel', 'utf8')).digest('hex'));
  });

  it('generates a key whose stored hash and prefix match it', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(hash).toBe(hashApiKey(key));
    expect(key.startsWith(prefix)).toBe(true);
  });
});
