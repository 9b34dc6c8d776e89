import { QueueName } from '@plugboard/contracts';
import { runQueueContract } from './__tests__/queue.contract';
import { MemoryQueueAdapter } from './memory-queue.adapter';
import { createQueue } from './queue.factory';

runQueueContract('memory', async () => new MemoryQueueAdapter());

describe('MemoryQueueAdapter', () => {
  afterEach(() => vi.useRealTimers());

  it('clears its delay and retry timers on close', async () => {
    vi.useFakeTimers();
    const queue = new MemoryQueueAdapter();
    const failed = new Promise<void>((resolve) => {
      void queue.onEvent(QueueName.InfraJobs, (event) => event.type === 'failed' && resolve());
    });
    await queue.process(QueueName.InfraJobs, async (job) => {
      throw new Error(`retry ${job.name} later`);
    });
    await queue.add(QueueName.InfraJobs, 'delayed', {}, { delayMs: 60_000 });
    await queue.add(QueueName.InfraJobs, 'retried', {}, { attempts: 5, backoff: { type: 'fixed', delayMs: 60_000 } });
    await failed;
    expect(vi.getTimerCount()).toBe(2);
    await queue.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still answers getJob and counts after close', async () => {
    const queue = new MemoryQueueAdapter();
    const { id } = await queue.add(QueueName.InfraJobs, 'kept', { a: 1 });
    await queue.close();
    expect((await queue.getJob(QueueName.InfraJobs, id))?.state).toBe('waiting');
    expect((await queue.counts(QueueName.InfraJobs)).waiting).toBe(1);
    expect((await queue.health()).status).toBe('down');
  });
});

describe('createQueue', () => {
  const config = {
    QUEUE_TYPE: 'memory',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: 6379,
    REDIS_TLS: false,
    REDIS_QUEUE_DB: 0,
    QUEUE_PREFIX: 'plugboard',
  };

  it('picks the memory plug', async () => {
    const queue = createQueue(config);
    expect(queue.plug).toBe('memory');
    await queue.close();
  });

  it('throws on an unknown QUEUE_TYPE', () => {
    expect(() => createQueue({ ...config, QUEUE_TYPE: 'kafka' })).toThrow('Unsupported QUEUE_TYPE "kafka": expected memory or bullmq');
  });
});
