import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './backends';
import { Socket } from 'node:net';

export interface NatsServerHandle {
  url: string;
  port: number;
  /** Stops the process; the JetStream store stays so `restart()` can bring the same data back. */
  stop(): Promise<void>;
  /** Starts again (stopping first if running) on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops and deletes the store directory. */
  dispose(): Promise<void>;
}

const SYSTEM_BINARY = '/usr/sbin/nats-server';

/**
 * A private nats-server on 127.0.0.1 for tests that must stop or restart their server,
 * so the shared one is never touched. Resolves once it accepts connections.
 */
export async function startNatsServer(options: { port?: number; jetstream?: boolean } = {}): Promise<NatsServerHandle> {
  const port = options.port ?? (await freePort());
  const storeDir = mkdtempSync(join(tmpdir(), 'nats-store-'));
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(options.jetstream === false ? [] : ['-js', '-sd', storeDir])];
  const binary = existsSync(SYSTEM_BINARY) ? SYSTEM_BINARY : 'nats-server';
  let child: ChildProcess | undefined;
  // A test that crashes must not leave a server behind.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child = proc;
    await waitFor(`nats-server on port ${port}`, () => {
      if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}: ${stderr}`);
      return accepts(port);
    }, { timeoutMs: 15_000, intervalMs: 50 });
  };
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

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    dispose: async () => {
      await stop();
      process.removeListener('exit', killOnExit);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}
