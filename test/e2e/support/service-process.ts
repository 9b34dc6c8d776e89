import { ChildProcess, spawn } from 'node:child_process';
import { distMain } from './build';

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal if the process still runs. */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts `node dist/services/<service>/src/main.js` with exactly `env` (plus PATH), so the
 * developer's environment cannot leak a setting into the test; `cwd` keeps a stray `.env` out.
 */
export function startService(service: string, env: Record<string, string>, cwd: string): ServiceProcess {
  const child = spawn(process.execPath, [distMain(service)], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name: service,
    child,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Kills every process still running and waits for them to end. */
export async function killAll(processes: Iterable<ServiceProcess>): Promise<void> {
  const all = [...processes];
  for (const p of all) p.kill('SIGKILL');
  await Promise.all(all.map((p) => p.exited));
}

export interface HttpResult<T = unknown> {
  status: number;
  body: T;
}

/** GET returning status and parsed JSON body; rejects only when nothing answers. */
export async function getJson<T = unknown>(url: string, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
