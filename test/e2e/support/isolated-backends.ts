import { type TestDatabase, createTestDatabase, deleteRedisKeys, postgresEnv, testBackends } from '@plugboard/testing';
import { connect } from 'nats';

export interface IsolationOptions {
  /** Subject prefix, events stream and queue prefix of the run: a NATS token (letters, digits, `_`). */
  tag: string;
  /** `bullmq`: the queue on the shared Redis under the run's prefix; `memory`: in-process; absent: the default. */
  queue?: 'bullmq' | 'memory';
  /** The cache on the shared Redis too (`REDIS_ENABLED=true`). */
  redisCache?: boolean;
  /** Name prefix of a fresh PostgreSQL database (must contain "test"); absent: no database settings. */
  database?: string;
}

export interface IsolatedBackends {
  /** The isolation block of the environment: bus, events stream, queue and database settings. */
  env: Record<string, string>;
  /** The run's own PostgreSQL database, when one was asked for. */
  database?: TestDatabase;
  /** Drops the database, deletes the events stream and removes the queue keys of the run; safe to call twice. */
  cleanup(): Promise<void>;
}

/**
 * Lets a run share the NATS, Redis and PostgreSQL servers with every other run: its own subject
 * prefix and JetStream stream, its own BullMQ key prefix, its own database.
 */
export async function isolateBackends(options: IsolationOptions): Promise<IsolatedBackends> {
  const { tag } = options;
  const env: Record<string, string> = {
    BUS_TYPE: 'nats',
    NATS_URL: testBackends.natsUrl,
    BUS_SUBJECT_PREFIX: tag,
    EVENTS_STREAM: tag,
  };
  const redis = new URL(testBackends.redisUrl);
  const redisEnv = { REDIS_HOST: redis.hostname, REDIS_PORT: redis.port || '6379' };
  if (options.queue === 'bullmq') Object.assign(env, { QUEUE_TYPE: 'bullmq', QUEUE_PREFIX: tag, ...redisEnv });
  if (options.queue === 'memory') env.QUEUE_TYPE = 'memory';
  if (options.redisCache) Object.assign(env, { REDIS_ENABLED: 'true', ...redisEnv });

  const database = options.database ? await createTestDatabase({ prefix: options.database }) : undefined;
  if (database) Object.assign(env, postgresEnv(database.config));

  let cleaned = false;
  return {
    env,
    database,
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      await database?.drop();
      const nc = await connect({ servers: testBackends.natsUrl });
      try {
        await (await nc.jetstreamManager()).streams.delete(tag).catch(() => undefined);
      } finally {
        await nc.close();
      }
      if (options.queue === 'bullmq') await deleteRedisKeys(`${tag}:*`);
    },
  };
}
