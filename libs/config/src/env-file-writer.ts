import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';

const HEADER = '# Written by Plugboard infra-admin (PUT /api/infra/config). The environment and .env override these values.';

/**
 * Sorted `KEY=value` lines after a header comment. A value that dotenv would read back
 * differently (a `#`, quotes, surrounding blanks) is quoted so it round-trips exactly.
 * @throws Error naming the variable when no quoting round-trips (or it holds a line break).
 */
export function renderEnvFile(values: Record<string, string>): string {
  const lines = Object.keys(values)
    .sort()
    .map((key) => `${key}=${quoteForDotenv(key, values[key])}`);
  return `${[HEADER, ...lines].join('\n')}\n`;
}

/**
 * Replaces `path` atomically: a temp file in the same folder is written, fsynced and renamed
 * over it, then the folder is fsynced, so a crash leaves the old file or the new one, never half.
 * Mode 0600 since the file may hold secrets.
 */
export async function writeEnvFileAtomic(path: string, values: Record<string, string>): Promise<void> {
  const content = renderEnvFile(values);
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  const temp = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(content, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    // open()'s mode is filtered by the umask: set it explicitly.
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(folder);
}

function quoteForDotenv(key: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`${key}: a value must not contain a line break`);
  for (const candidate of [value, `'${value}'`, `"${value}"`, `\`${value}\``]) {
    if (parseDotenv(`${key}=${candidate}`)[key] === value) return candidate;
  }
  throw new Error(`${key}: the value cannot be written so that it reads back unchanged`);
}

/** The rename is durable only once the folder entry is on disk; not every platform allows it. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the file itself is already synced.
  }
}
