import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface BenchProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last few KiB the process wrote, for an error message. */
  tail(): string;
  /** SIGKILL (or `signal`, for a clean shutdown that writes a CPU profile), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const TAIL_BYTES = 8_192;

/**
 * Starts the built `dist/services/<service>/src/main.js` next to this compiled bench file with
 * exactly `env` (plus PATH), as docker-compose would run it.
 */
export function startBuiltService(service: string, env: Record<string, string>, cwd: string, nodeArgs: string[] = []): BenchProcess {
  const main = join(__dirname, '..', 'services', service, 'src', 'main.js');
  const child = spawn(process.execPath, [...nodeArgs, main], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-TAIL_BYTES));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name: service,
    child,
    tail: () => output,
    stop: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
