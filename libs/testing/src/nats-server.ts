import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, tcpProbe } from './backends';
import { childServer } from './child-server';

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
  const server = childServer(
    `nats-server on port ${port}`,
    () => spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] }),
    () => tcpProbe('127.0.0.1', port, 500),
  );

  await server.start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: server.stop,
    restart: server.restart,
    dispose: async () => {
      await server.dispose();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
