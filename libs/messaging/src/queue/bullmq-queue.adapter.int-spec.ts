import { ErrorCode, QueueName } from '@plugboard/contracts';
import { backendReachable, freePort, startRedisServer, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runQueueContract } from './__tests__/queue.contract';
import { BullmqQueueAdapter, type BullmqQueueOptions } from './bullmq-queue.adapter';
import { createQueue } from './queue.factory';
import type { QueueLogger } from './queue-logger';
import type { QueueEvent } from './queue.port';

const url = testBackends.redisUrl;
const Q = QueueName.MessagesSend;
const quiet: QueueLogger = { warn: () => undefined, error: () => undefined };
const hasRedisServer = (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, 'redis-server')));
if (!hasRedisServer && process.env.CI === 'true') throw new Error('redis-server is not installed, and CI=true forbids skipping the restart suite');
/** Every prefix this file used, so afterAll removes exactly its own keys. */
const prefixes: string[] = [];

function connectionOf(redisUrl: string): BullmqQueueOptions['connection'] {
  const parsed = new URL(redisUrl);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port || 6379),
    db: Number(parsed.pathname.slice(1) || 0),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    tls: parsed.protocol === 'rediss:',
  };
}

function adapter(prefix = uniqueName('pbq'), redisUrl = url): BullmqQueueAdapter {
  if (!prefixes.includes(prefix)) prefixes.push(prefix);
  return new BullmqQueueAdapter({ connection: connectionOf(redisUrl), prefix, logger: quiet });
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis({ ...connectionOf(redisUrl), tls: undefined, lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describe('BullmqQueueAdapter (real Redis)', () => {
  let reachable = false;
  // Skips every test when Redis is down; under CI=true backendReachable throws instead.
  beforeAll(async () => {
    reachable = await backendReachable('Redis', url);
  });
  beforeEach(({ skip }) => skip(!reachable, `Redis at ${url} is unreachable`));
  afterAll(async () => {
    if (!reachable) return;
    for (const prefix of prefixes) await deleteKeys(url, prefix);
  });

  runQueueContract('bullmq', async () => adapter());

  it('keeps a job across close and reopen: added without a worker, processed by the next adapter', async () => {
    const prefix = uniqueName('pbq');
    const producer = adapter(prefix);
    const { id } = await producer.add(Q, 'durable', { to: '123' }, { jobId: 'durable-1' });
    await producer.close();

    const consumer = adapter(prefix);
    try {
      const seen: unknown[] = [];
      await consumer.process(Q, async (job) => seen.push(job.data));
      await waitFor('job processed after reopen', () => seen.length === 1);
      expect(seen).toEqual([{ to: '123' }]);
      await waitFor('job completed', async () => (await consumer.getJob(Q, id))?.state === 'completed');
    } finally {
      await consumer.close();
    }
  });

  it('records the in-flight job finished during close, and leaves the queued one for the next worker', async () => {
    const prefix = uniqueName('pbq');
    const first = adapter(prefix);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    await first.process(Q, async () => {
      started += 1;
      await gate;
      return 'finished';
    });
    await first.add(Q, 'slow', {}, { jobId: 'in-flight' });
    await waitFor('job active', () => started === 1);
    await first.add(Q, 'slow', {}, { jobId: 'queued' });
    const closing = first.close();
    release();
    await closing;

    const second = adapter(prefix);
    try {
      expect(await second.getJob(Q, 'in-flight')).toMatchObject({ state: 'completed', returnValue: 'finished' });
      expect((await second.getJob(Q, 'queued'))?.state).toBe('waiting');
    } finally {
      await second.close();
    }
  });

  it('delivers events of jobs processed by another process, retries included', async () => {
    const prefix = uniqueName('pbq');
    const listener = adapter(prefix);
    const worker = adapter(prefix);
    try {
      const events: QueueEvent[] = [];
      await listener.onEvent(Q, (event) => events.push(event));
      let tries = 0;
      await worker.process(Q, async (job) => {
        tries += 1;
        await job.updateProgress(tries);
        if (tries === 1) throw new Error('first try fails');
        return { tries };
      });
      const { id } = await listener.add(Q, 'remote', {}, { attempts: 2, backoff: { type: 'fixed', delayMs: 50 } });
      await waitFor('completed seen by the listener', () => events.some((e) => e.type === 'completed'));
      expect(events).toEqual([
        { type: 'progress', queue: Q, jobId: id, progress: 1 },
        { type: 'failed', queue: Q, jobId: id, reason: 'first try fails', attemptsMade: 1, final: false },
        { type: 'progress', queue: Q, jobId: id, progress: 2 },
        { type: 'completed', queue: Q, jobId: id, returnValue: { tries: 2 } },
      ]);
    } finally {
      await Promise.all([listener.close(), worker.close()]);
    }
  });

  it('fails fast with SERVICE_UNAVAILABLE and reports down when Redis cannot be reached', async () => {
    const queue = adapter(uniqueName('pbq'), `redis://127.0.0.1:${await freePort()}`);
    try {
      await expect(queue.add(Q, 'x', {})).rejects.toMatchObject({ code: ErrorCode.ServiceUnavailable });
      await expect(queue.counts(Q)).rejects.toMatchObject({ code: ErrorCode.ServiceUnavailable });
      const health = await queue.health();
      expect(health).toMatchObject({ socket: 'queue', plug: 'bullmq', status: 'down' });
      expect(health.detail).toBeTruthy();
    } finally {
      await queue.close();
    }
  });

  it('is picked by createQueue for QUEUE_TYPE=bullmq', async () => {
    const { host, port, db } = connectionOf(url);
    const prefix = uniqueName('pbq');
    prefixes.push(prefix);
    const queue = createQueue(
      { QUEUE_TYPE: 'bullmq', REDIS_HOST: host, REDIS_PORT: port, REDIS_TLS: false, REDIS_QUEUE_DB: db, QUEUE_PREFIX: prefix },
      quiet,
    );
    try {
      expect(queue.plug).toBe('bullmq');
      await waitFor('health up', async () => (await queue.health()).status === 'up');
    } finally {
      await queue.close();
    }
  });
});

describe.skipIf(!hasRedisServer)('BullmqQueueAdapter across a Redis restart (own server)', () => {
  it('reports down while Redis is gone, then recovers by itself and processes again', async () => {
    const server = await startRedisServer({ appendOnly: true });
    const queue = adapter(uniqueName('pbq'), server.url);
    try {
      const done: string[] = [];
      await queue.process(Q, async (job) => done.push(job.id));
      await waitFor('health up', async () => (await queue.health()).status === 'up');
      const before = await queue.add(Q, 'before', {});
      await waitFor('job before the restart done', () => done.includes(before.id));

      await server.restart();
      await waitFor('health up again', async () => (await queue.health()).status === 'up', { timeoutMs: 15_000 });
      const after = await queue.add(Q, 'after', {});
      await waitFor('job after the restart done', () => done.includes(after.id), { timeoutMs: 15_000 });
    } finally {
      await queue.close();
      await server.stop();
    }
  });

  it('rejects adds while Redis is stopped, and still closes', async () => {
    const server = await startRedisServer();
    const queue = adapter(uniqueName('pbq'), server.url);
    try {
      await queue.process(Q, async () => 'ok');
      await queue.onEvent(Q, () => undefined);
      await waitFor('health up', async () => (await queue.health()).status === 'up');
      await queue.add(Q, 'ok', {});
      await server.stop();
      await waitFor('health down', async () => (await queue.health()).status === 'down');
      await expect(queue.add(Q, 'lost', {})).rejects.toMatchObject({ code: ErrorCode.ServiceUnavailable });
    } finally {
      await queue.close();
      await server.stop();
    }
  });
});
