/**
 * Durable work queues. The values are the queue names in Redis: renaming one strands the
 * jobs already in it, so a rename needs a migration that moves them.
 */
export enum QueueName {
  MessagesSend = 'messages-send',
  MessagesBulk = 'messages-bulk',
  WebhooksDeliver = 'webhooks-deliver',
  InfraJobs = 'infra-jobs',
}
export const QUEUE_NAMES = Object.values(QueueName);

/** Retries of a `messages-send` job: the row decides what a try does, so retrying is always safe. */
export const SEND_JOB_OPTIONS = { attempts: 20, backoff: { type: 'exponential', delayMs: 500 } } as const;
