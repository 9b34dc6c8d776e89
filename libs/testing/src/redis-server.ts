import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './backends';
import { childServer } from './child-server';

export interface RedisServerOptions {
  /** Listen here instead of a free port. */
  port?: number;
  /** Keep data in an append-only file in the server's own dir, so it survives `restart()`. */
  appendOnly?: boolean;
}

export interface RedisServerHandle {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its temp dir. */
  stop(): Promise<void>;
  /** Stops and starts it again on the same port and dir. */
  restart(): Promise<void>;
}

/**
 * A private `redis-server` on 127.0.0.1 for fault tests that must kill or restart Redis;
 * the shared server is never touched. Resolves once it answers PING.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'plugboard-redis-'));
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--daemonize', 'no'];
  args.push('--appendonly', options.appendOnly ? 'yes' : 'no');
  const server = childServer(
    `redis-server on port ${port}`,
    () => spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] }),
    () => ping(port),
    10_000,
  );

  await server.start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await server.dispose();
      await rm(dir, { recursive: true, force: true });
    },
    restart: server.restart,
  };
}

/** True when a Redis on 127.0.0.1:`port` answers PING with PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}
