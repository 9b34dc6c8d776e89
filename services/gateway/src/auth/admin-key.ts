import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AppConfig } from '@plugboard/config';

/** Where the key came from: `API_MASTER_KEY`, generated on this boot, or read from an earlier one. */
export type AdminKeySource = 'env' | 'generated' | 'file';

/** The file, under DATA_DIR, that keeps a generated key across boots. */
export const ADMIN_KEY_FILE = '.api-key';

/**
 * The admin key of the HTTP API until a proper key store exists. Also the DI token of the
 * resolved key.
 */
export class AdminKey {
  private readonly digest: Buffer;

  constructor(
    readonly value: string,
    readonly source: AdminKeySource,
    /** The key file, when the key lives in one. */
    readonly file?: string,
  ) {
    this.digest = sha256(value);
  }

  /** Constant-time comparison: equal-length digests, so neither content nor length leaks by timing. */
  matches(candidate: string): boolean {
    return timingSafeEqual(this.digest, sha256(candidate));
  }
}

/**
 * `API_MASTER_KEY` when set; else the key in `<DATA_DIR>/.api-key`; else a new random key
 * (`pb_` + 32 bytes base64url) written there with mode 0600.
 */
export async function resolveAdminKey(config: Pick<AppConfig, 'API_MASTER_KEY' | 'DATA_DIR'>): Promise<AdminKey> {
  if (config.API_MASTER_KEY) return new AdminKey(config.API_MASTER_KEY, 'env');
  const dir = resolve(config.DATA_DIR);
  const file = join(dir, ADMIN_KEY_FILE);
  const existing = await readKeyFile(file);
  if (existing) return new AdminKey(existing, 'file', file);

  const key = `pb_${randomBytes(32).toString('base64url')}`;
  await mkdir(dir, { recursive: true });
  try {
    // 'wx': two processes booting at once must not overwrite each other's key.
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readKeyFile(file);
    if (winner) return new AdminKey(winner, 'file', file);
    throw error;
  }
  await chmod(file, 0o600); // the umask may have narrowed the mode, never widened it; be explicit anyway
  return new AdminKey(key, 'generated', file);
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
