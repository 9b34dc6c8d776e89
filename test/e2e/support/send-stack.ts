import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, testBackends, waitFor } from '@plugboard/testing';
import { type IsolatedBackends, isolateBackends } from './isolated-backends';
import { type ServiceProcess, getJson, killAll, startService } from './service-process';
import { call } from './sessions-http';

export interface SendStackOptions {
  /** The run's isolation tag (subject prefix, stream, queue prefix). */
  tag: string;
  /** Name prefix of the run's PostgreSQL database (must contain "test"). */
  database: string;
  /** INSTANCE_IDs of the session-workers to start. */
  workers: readonly string[];
  /** Settings added to (or overriding) the common environment. */
  env?: Record<string, string>;
}

export interface SendStack {
  base: string;
  key: string;
  backends: IsolatedBackends;
  processes: ServiceProcess[];
  /** Session-workers by INSTANCE_ID. */
  workers: Map<string, ServiceProcess>;
  /** Each session-worker's own HTTP base (health, metrics). */
  workerBases: Map<string, string>;
  /** One HTTP call to the gateway with the admin key. */
  http: <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: T }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Plain SQL on the run's database, as an operator would check the tables. */
  sql: <T = Record<string, unknown>>(query: string, bindings?: unknown[]) => Promise<T[]>;
  /** Creates a session and waits until the simulator has paired it and it is `ready`. */
  readySession(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Gateway, media-service, infra-admin and the given session-workers as separate processes on
 * PostgreSQL + Redis (BullMQ queue and cache) + NATS, with the simulator engine pairing at once,
 * acking quickly and no send pacing.
 */
export async function startSendStack(options: SendStackOptions): Promise<SendStack> {
  const { tag } = options;
  const key = `pb_${tag}_admin-key-for-this-run`;
  const backends = await isolateBackends({ tag, queue: 'bullmq', redisCache: true, database: options.database });
  const cwd = mkdtempSync(join(tmpdir(), 'pb-send-'));
  const gatewayPort = await freePort();
  const mediaPort = await freePort();
  const env: Record<string, string> = {
    ...backends.env,
    HOST: '127.0.0.1',
    DATA_DIR: join(cwd, 'data'),
    API_MASTER_KEY: key,
    MEDIA_SERVICE_URL: `http://127.0.0.1:${mediaPort}`,
    INTERNAL_TOKEN: `${tag}-internal-token`,
    STORAGE_LOCAL_PATH: join(cwd, 'media'),
    ENGINE_TYPE: 'simulator',
    SIMULATOR_AUTO_PAIR_MS: '50',
    SIMULATOR_ACK_DELAY_MS: '5',
    SIMULATOR_QR_ROTATE_MS: '60000',
    SEND_RATE_PER_MINUTE: '0',
    SESSION_START_STAGGER_MS: '0',
    RATE_LIMIT_ENABLED: 'false',
    HEALTH_TIMEOUT_MS: '500',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const processes: ServiceProcess[] = [];
  const workers = new Map<string, ServiceProcess>();
  const workerBases = new Map<string, string>();
  processes.push(startService('infra-admin', { ...env, HTTP_PORT: String(await freePort()) }, cwd));
  processes.push(startService('media-service', { ...env, HTTP_PORT: String(mediaPort) }, cwd));
  for (const id of options.workers) {
    const port = await freePort();
    const worker = startService('session-worker', { ...env, INSTANCE_ID: id, HTTP_PORT: String(port) }, cwd);
    workers.set(id, worker);
    workerBases.set(id, `http://127.0.0.1:${port}`);
    processes.push(worker);
  }
  processes.push(startService('gateway', { ...env, PORT: String(gatewayPort) }, cwd));
  const base = `http://127.0.0.1:${gatewayPort}`;

  const { knex } = await import('@mikro-orm/postgresql');
  const url = new URL(testBackends.databaseUrl);
  url.pathname = `/${backends.database!.name}`;
  const db = knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } });

  const stack: SendStack = {
    base,
    key,
    backends,
    processes,
    workers,
    workerBases,
    http: async (method, path, body, headers = {}) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    sql: async <T>(query: string, bindings: unknown[] = []) => ((await db.raw(query, bindings as never[])) as { rows: T[] }).rows,
    readySession: async (name) => {
      const created = await call(base, key, 'POST', '/api/sessions', { body: { name } });
      if (created.status !== 201) throw new Error(`POST /api/sessions: ${created.status} ${JSON.stringify(created.body)}`);
      const id = created.body.id as string;
      await waitFor(
        `session ${name} ready`,
        async () => (await call(base, key, 'GET', `/api/sessions/${id}/status`)).body?.status === 'ready',
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      return id;
    },
    close: async () => {
      await killAll(processes);
      await db.destroy();
      await backends.cleanup();
    },
  };

  // A service that dies while booting fails the start at once, with its output.
  const died = Promise.race(processes.map((p) => p.exited.then(() => p))).then((p) => {
    throw new Error(`${p.name} exited while starting:\n${p.output().slice(-4_000)}`);
  });
  died.catch(() => undefined);
  try {
    const up = waitFor(
      `all four services up with ${options.workers.length} session-worker(s)`,
      async () => {
        const infra = await getJson<{ services?: Record<string, { status: string; instances: unknown[] }> }>(`${base}/api/infra/status`, { 'x-api-key': key });
        const services = infra.body?.services;
        return (
          services?.['session-worker']?.instances.length === options.workers.length &&
          ['gateway', 'media-service', 'infra-admin'].every((s) => services[s]?.status === 'up')
        );
      },
      // Five Node processes booting at once on a loaded 2-core machine can take a while.
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    up.catch(() => undefined);
    await Promise.race([up, died]);
  } catch (error) {
    await stack.close();
    throw error;
  }
  return stack;
}
