import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './build';

export interface DevDistributedScript {
  readonly child: ChildProcess;
  /** Everything the script printed so far (its own lines and its children's, prefixed). */
  output(): string;
  /** Process ids the script reported starting, by name (`gateway`, …, `s3rver`); a restart replaces one. */
  pids(): Map<string, number>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const STARTED = /^\[dev\]\s+(\S+) started \(pid (\d+)\)/;

/**
 * `node scripts/dev-distributed.mjs` with exactly `env` (plus PATH), in `cwd` so no stray
 * `.env` is read. The pids come from the script's own `[dev] <name> started (pid N)` lines.
 */
export function startDevDistributed(env: Record<string, string>, cwd: string): DevDistributedScript {
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'dev-distributed.mjs')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const pids = new Map<string, number>();
  let partial = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const started = STARTED.exec(line);
      if (started) pids.set(started[1], Number(started[2]));
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, pids: () => pids, exited };
}

/** True while a process with this id exists (signal 0 only checks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
