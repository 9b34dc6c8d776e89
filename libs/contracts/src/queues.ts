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
