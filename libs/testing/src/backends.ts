import { Socket, createServer } from 'node:net';

/** Where the shared real backends of this machine (and CI) listen; env wins. */
export const testBackends = {
  natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

/**
 * True when `url`'s host:port accepts a TCP connection. A real-backend suite skips when it
 * is false — except under `CI=true`, where an unreachable backend throws so the suite fails
 * instead of passing by skipping.
 */
export async function backendReachable(name: string, url: string, timeoutMs = 1500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const reachable = await tcpProbe(hostname.replace(/^\[|\]$/g, ''), Number(port), timeoutMs);
  if (!reachable && process.env.CI === 'true') {
    throw new Error(`${name} at ${url} is unreachable, and CI=true forbids skipping its real-backend suite`);
  }
  return reachable;
}

export type SharedBackend = 'NATS' | 'Redis' | 'PostgreSQL';

const SHARED_BACKEND_URLS: Record<SharedBackend, keyof typeof testBackends> = { NATS: 'natsUrl', Redis: 'redisUrl', PostgreSQL: 'databaseUrl' };

/** `backendReachable` for each named shared backend in turn: false at the first one that is not. */
export async function sharedBackendsReachable(...names: SharedBackend[]): Promise<boolean> {
  for (const name of names) if (!(await backendReachable(name, testBackends[SHARED_BACKEND_URLS[name]]))) return false;
  return true;
}

/** True when host:port accepts a TCP connection within `timeoutMs`. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 10_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A short random tag for names that must not collide between parallel test files. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
