import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Sets `values` in a dotenv file, keeping every other line as it was: a key already there is
 * replaced in place, a new one appended. Written to a temp file in the same folder, then
 * renamed, so a crash never leaves half a file; mode 0600 since the file may hold secrets.
 */
export async function mergeEnvFile(path: string, values: Record<string, string>): Promise<void> {
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const pending = new Map(Object.entries(values));
  const lines = existing === '' ? [] : existing.replace(/\r?\n$/, '').split(/\r?\n/);
  const merged = lines.map((line) => {
    const key = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    if (key === undefined || !pending.has(key)) return line;
    const value = pending.get(key) as string;
    pending.delete(key);
    return `${key}=${value}`;
  });
  for (const [key, value] of pending) merged.push(`${key}=${value}`);
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(temp, `${merged.join('\n')}\n`, { mode: 0o600 });
  // writeFile's mode is filtered by the umask: set it explicitly.
  await chmod(temp, 0o600);
  await rename(temp, path);
}
