import { createCipheriv, createDecipheriv, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { EncryptionParams } from './export-format';

// scrypt cost: ~100 ms once per export or import, never per value.
const SCRYPT = { N: 1 << 15, r: 8, p: 1 };
const CHECK_PLAINTEXT = 'plugboard-export-check';

/**
 * Encrypts secret values of an export with a key derived from the passphrase (scrypt), one
 * AES-256-GCM box per value: `iv.ciphertext.tag` in base64url. The additional data binds a
 * box to its table, column and row, so boxes cannot be swapped between rows unnoticed.
 */
export class SecretCipher {
  private constructor(
    private readonly key: Buffer,
    readonly params: EncryptionParams,
  ) {}

  /** A fresh salt and key, for an export. */
  static async create(passphrase: string): Promise<SecretCipher> {
    const salt = randomBytes(16);
    const key = await deriveKey(passphrase, salt, SCRYPT);
    const draft = new SecretCipher(key, { kdf: 'scrypt', salt: salt.toString('base64url'), ...SCRYPT, cipher: 'aes-256-gcm', check: '' });
    return new SecretCipher(key, { ...draft.params, check: draft.encrypt(CHECK_PLAINTEXT, 'check') });
  }

  /** The key of an export's header; undefined when the passphrase is wrong. */
  static async open(passphrase: string, params: EncryptionParams): Promise<SecretCipher | undefined> {
    const key = await deriveKey(passphrase, Buffer.from(params.salt, 'base64url'), params);
    const cipher = new SecretCipher(key, params);
    try {
      const check = Buffer.from(cipher.decrypt(params.check, 'check'));
      return check.length === CHECK_PLAINTEXT.length && timingSafeEqual(check, Buffer.from(CHECK_PLAINTEXT)) ? cipher : undefined;
    } catch {
      return undefined;
    }
  }

  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${iv.toString('base64url')}.${body.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
  }

  /** Throws when the box was altered or belongs to another row. */
  decrypt(box: string, aad: string): string {
    const [iv, body, tag] = box.split('.');
    if (!iv || body === undefined || !tag) throw new Error('not an encrypted value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** Additional data of one secret value. */
export function secretAad(table: string, column: string, primaryKey: unknown): string {
  return `${table}.${column}:${String(primaryKey)}`;
}

function deriveKey(passphrase: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(passphrase, salt, 32, { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}
