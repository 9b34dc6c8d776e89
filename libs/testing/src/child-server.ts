import type { ChildProcess } from 'node:child_process';
import { waitFor } from './backends';

export interface ChildServer {
  /** Spawns the server and resolves once `ready` says so; throws with its stderr if it exits first. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it exited. No-op when not running. */
  stop(): Promise<void>;
  /** Stops it if it runs, then starts it again. */
  restart(): Promise<void>;
  /** Stops it and removes the exit hook (call last). */
  dispose(): Promise<void>;
}

/**
 * Start/stop of a private server process for fault tests (nats-server, redis-server, s3rver),
 * which a test may stop and start again. A test process that exits kills it too.
 */
export function childServer(
  name: string,
  launch: () => ChildProcess,
  ready: () => Promise<boolean>,
  startTimeoutMs = 15_000,
): ChildServer {
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const forced = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(forced);
  };

  const start = async () => {
    const proc = launch();
    let stderr = '';
    let failed: Error | undefined;
    proc.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    proc.once('error', (error) => (failed = error));
    child = proc;
    await waitFor(
      name,
      () => {
        if (failed) throw failed;
        if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}: ${stderr}`);
        return ready();
      },
      { timeoutMs: startTimeoutMs, intervalMs: 50 },
    );
  };

  return {
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    async dispose() {
      await stop();
      process.removeListener('exit', killOnExit);
    },
  };
}
