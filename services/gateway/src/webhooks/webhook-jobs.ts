import { QueueName } from '@plugboard/contracts';
import type { WebhookDeliveryEntity } from '@plugboard/database';
import type { AddResult, NewJob, QueuePort } from '@plugboard/messaging';

/** Data of a `webhooks-deliver` job: one try of one delivery. */
export interface WebhookJobData {
  deliveryId: string;
  round: number;
  attempt: number;
}

export const WEBHOOK_JOB_NAME = 'deliver';

/**
 * Job id of a try: the delivery id for the very first one, so fan-out replays de-duplicate
 * on it; later tries and redelivery rounds get their own ids (BullMQ refuses ':' in ids).
 */
export function webhookJobId(data: WebhookJobData): string {
  return data.round === 0 && data.attempt === 1 ? data.deliveryId : `${data.deliveryId}-r${data.round}-a${data.attempt}`;
}

/** Tries already made in the row's current round. */
export function attemptsInRound(row: Pick<WebhookDeliveryEntity, 'attempts' | 'round'>): number {
  return row.attempts.filter((a) => a.round === row.round).length;
}

/** The job data of a pending row's next try. */
function nextAttemptOf(row: Pick<WebhookDeliveryEntity, 'id' | 'round' | 'attempts'>): WebhookJobData {
  return { deliveryId: row.id, round: row.round, attempt: attemptsInRound(row) + 1 };
}

type PendingRow = Pick<WebhookDeliveryEntity, 'id' | 'round' | 'attempts' | 'nextAttemptAt'>;

/**
 * Enqueues the next try of a pending row, due at its `nextAttemptAt`. Idempotent (job id),
 * so fan-out replays, the restart sweep and several gateways may all call it.
 */
export async function enqueueNextAttempt(queue: QueuePort, row: PendingRow): Promise<void> {
  await enqueueNextAttempts(queue, [row]);
}

/** `enqueueNextAttempt` for many rows in one add (one round trip to Redis). */
export async function enqueueNextAttempts(queue: QueuePort, rows: readonly PendingRow[]): Promise<void> {
  if (rows.length === 0) return;
  await queue.addMany(
    QueueName.WebhooksDeliver,
    rows.map((row) => {
      const data = nextAttemptOf(row);
      return attemptJob(data, webhookJobId(data), row.nextAttemptAt);
    }),
  );
}

/**
 * For a row whose next try is long overdue: when that try's job is still queued, or running
 * for less than `stuckAfterMs` (the request timeout plus a margin: a backlog makes tries
 * overdue without them being stuck), leaves it; when it has been running longer (its worker
 * died mid-try), finished without recording the try, or is missing, adds the try again under
 * a second id (the first id stays taken until the queue forgets it). The try's stale check
 * makes whichever job comes second do nothing. True when a job was added.
 */
export async function rescueAttempt(queue: QueuePort, row: Pick<WebhookDeliveryEntity, 'id' | 'round' | 'attempts'>, stuckAfterMs: number): Promise<boolean> {
  const data = nextAttemptOf(row);
  const jobId = webhookJobId(data);
  const job = await queue.getJob(QueueName.WebhooksDeliver, jobId);
  if (job?.state === 'waiting' || job?.state === 'delayed') return false;
  if (job?.state === 'active' && job.startedAt !== undefined && Date.now() - job.startedAt < stuckAfterMs) return false;
  return !(await addAttempt(queue, data, job ? `${jobId}-rescue` : jobId, null)).duplicate;
}

function addAttempt(queue: QueuePort, data: WebhookJobData, jobId: string, dueAt: Date | null | undefined): Promise<AddResult> {
  const { name, options } = attemptJob(data, jobId, dueAt);
  return queue.add(QueueName.WebhooksDeliver, name, data, options);
}

function attemptJob(data: WebhookJobData, jobId: string, dueAt: Date | null | undefined): NewJob<WebhookJobData> {
  const delayMs = Math.max(0, (dueAt?.getTime() ?? 0) - Date.now());
  return {
    name: WEBHOOK_JOB_NAME,
    data,
    options: {
      jobId,
      delayMs,
      // Queue-level retries only cover our own failures (database down while recording a try).
      attempts: 5,
      backoff: { type: 'exponential', delayMs: 1_000 },
    },
  };
}
