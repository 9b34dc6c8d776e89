import { createHash } from 'node:crypto';
import { type BulkJob, QueueName, SEND_JOB_OPTIONS, type SendJob } from '@plugboard/contracts';
import type { QueuePort } from '@plugboard/messaging';

/** Keys that can be a job id as they are; anything else is hashed. */
const PLAIN_KEY = /^[A-Za-z0-9_-]{1,128}$/;
/**
 * Separates the parts of a job id. Not ':' as in `session:key` — the queue socket refuses ':'
 * (BullMQ splits its Redis keys on it) — and not '-' or '_', which session ids and keys may
 * hold: '.' keeps `session.key` unambiguous.
 */
const SEP = '.';

/** `<sessionId>.<key or message id>`: the same idempotency key always maps to the same job. */
export function sendJobId(sessionId: string, keyOrMessageId: string): string {
  const part = PLAIN_KEY.test(keyOrMessageId) ? keyOrMessageId : createHash('sha256').update(keyOrMessageId).digest('hex');
  return `${sessionId}${SEP}${part}`;
}

/** `<sessionId>.batch.<batchId>`: one bulk job per batch. */
export function bulkJobId(sessionId: string, batchId: string): string {
  return `${sessionId}${SEP}batch${SEP}${batchId}`;
}

/**
 * Adds the send job of a pending row; adding it again is a no-op (job id de-duplication),
 * so a repeat that finds the row still pending may always call this.
 *
 * A key reused after IDEMPOTENCY_WINDOW names a new message, but the finished job of the old
 * one may still be kept under the same id: when the job found is another message's, the
 * message's own id becomes the job id, so the new message is never left without a job.
 *
 * `adds` takes the add every send makes: the gateway batches those of concurrent requests
 * (see BatchedJobAdds); the rare second add goes to the queue directly.
 */
export async function enqueueSend(
  queue: QueuePort,
  job: SendJob,
  idempotencyKey: string | null,
  adds: Pick<QueuePort, 'add'> = queue,
): Promise<void> {
  const options = { ...SEND_JOB_OPTIONS, backoff: { ...SEND_JOB_OPTIONS.backoff } };
  const jobId = sendJobId(job.sessionId, idempotencyKey ?? job.messageId);
  const added = await adds.add<SendJob>(QueueName.MessagesSend, 'send', job, { ...options, jobId });
  if (!added.duplicate || idempotencyKey === null) return;
  const existing = await queue.getJob<SendJob>(QueueName.MessagesSend, jobId);
  if (existing && existing.data.messageId !== job.messageId) {
    await queue.add<SendJob>(QueueName.MessagesSend, 'send', job, { ...options, jobId: sendJobId(job.sessionId, job.messageId) });
  }
}

/** The one job of a bulk send: the worker walks the batch's rows by their due times. */
export async function enqueueBulk(queue: QueuePort, job: BulkJob): Promise<void> {
  const options = { ...SEND_JOB_OPTIONS, backoff: { ...SEND_JOB_OPTIONS.backoff } };
  await queue.add<BulkJob>(QueueName.MessagesBulk, 'bulk', job, { ...options, jobId: bulkJobId(job.sessionId, job.batchId) });
}
