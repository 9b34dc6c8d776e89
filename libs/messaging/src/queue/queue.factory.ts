import { type RedisSettings, redisConnection } from '@plugboard/config';
import { BullmqQueueAdapter } from './bullmq-queue.adapter';
import { MemoryQueueAdapter } from './memory-queue.adapter';
import type { QueueLogger } from './queue-logger';
import type { QueuePort } from './queue.port';

/** The config keys the queue socket reads (validated by libs/config). */
export interface QueueConfig extends RedisSettings {
  QUEUE_TYPE: string;
  REDIS_QUEUE_DB: number;
  QUEUE_PREFIX: string;
}

/** Picks the queue plug from `QUEUE_TYPE`; an unknown value throws, never a silent default. */
export function createQueue(config: QueueConfig, logger?: QueueLogger): QueuePort {
  switch (config.QUEUE_TYPE) {
    case 'memory':
      return new MemoryQueueAdapter({ logger });
    case 'bullmq':
      return new BullmqQueueAdapter({
        connection: redisConnection(config, config.REDIS_QUEUE_DB),
        prefix: config.QUEUE_PREFIX,
        logger,
      });
    default:
      throw new Error(`Unsupported QUEUE_TYPE "${config.QUEUE_TYPE}": expected memory or bullmq`);
  }
}
