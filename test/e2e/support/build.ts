import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { type SharedBackend, sharedBackendsReachable, waitFor } from '@plugboard/testing';

/** The repository root: e2e suites run the built `dist/` exactly as `npm start` does. */
export const ROOT = resolve(__dirname, '..', '..', '..');

/** Path of a service's built entry point. */
export function distMain(service: string): string {
  return join(ROOT, 'dist', 'services', service, 'src', 'main.js');
}

const STEM = join(tmpdir(), `plugboard-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`);
const LOCK = `${STEM}.lock`;
/** Holds the id of the test run that built last: the test files of one run are forks of one parent. */
const STAMP = `${STEM}.run`;
const STALE_LOCK_MS = 180_000;

/**
 * `npm run build` once per test run: a second build would rewrite `dist/` under the children
 * another e2e file already started. The lock is a directory (mkdir is atomic).
 */
export async function buildOnce(): Promise<void> {
  await waitFor('the build lock', () => tryLock(), { timeoutMs: STALE_LOCK_MS, intervalMs: 200 });
  try {
    const run = String(process.ppid);
    if (readSafe(STAMP) === run) return;
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
    writeFileSync(STAMP, run);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * True once the named shared backends answer and `dist/` is built; false when one of them does
 * not, for the suite to skip (under CI=true an unreachable backend throws instead).
 */
export async function buildWhenReachable(...backends: SharedBackend[]): Promise<boolean> {
  if (!(await sharedBackendsReachable(...backends))) return false;
  await buildOnce();
  return true;
}

function tryLock(): boolean {
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    // A crashed run leaves its lock behind; take it over once it is clearly stale.
    const age = Date.now() - (statSafe(LOCK) ?? Date.now());
    if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
    return false;
  }
}

function readSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function statSafe(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
