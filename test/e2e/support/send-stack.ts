import { testBackends, waitFor } from '@plugboard/testing';
import { type ProcessStack, startProcessStack } from './process-stack';
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

export interface SendStack extends ProcessStack {
  /** One HTTP call to the gateway with the admin key. */
  http: <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: T }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Plain SQL on the run's database, as an operator would check the tables. */
  sql: <T = Record<string, unknown>>(query: string, bindings?: unknown[]) => Promise<T[]>;
  /** Creates a session and waits until the simulator has paired it and it is `ready`. */
  readySession(name: string): Promise<string>;
}

/**
 * Gateway, media-service, infra-admin and the given session-workers as separate processes on
 * PostgreSQL + Redis (BullMQ queue and cache) + NATS, with the simulator engine pairing at once,
 * acking quickly and no send pacing.
 */
export async function startSendStack(options: SendStackOptions): Promise<SendStack> {
  const { tag } = options;
  const processes = await startProcessStack({
    tag,
    queue: 'bullmq',
    redisCache: true,
    database: options.database,
    workers: options.workers,
    media: true,
    env: {
      INTERNAL_TOKEN: `${tag}-internal-token`,
      SIMULATOR_AUTO_PAIR_MS: '50',
      SIMULATOR_ACK_DELAY_MS: '5',
      SEND_RATE_PER_MINUTE: '0',
      SESSION_START_STAGGER_MS: '0',
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
  const { base, key } = processes;

  const { knex } = await import('@mikro-orm/postgresql');
  const url = new URL(testBackends.databaseUrl);
  url.pathname = `/${processes.backends.database!.name}`;
  const db = knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } });

  return {
    ...processes,
    http: (method, path, body, headers) => call(base, key, method, path, { body, headers, timeoutMs: 30_000 }),
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
      await processes.close();
      await db.destroy();
    },
  };
}
