import { ErrorCode, type QueueName } from '@plugboard/contracts';
import type { AddOptions } from './queue.port';
import { QueueError } from './queue.errors';

const MAX_JOB_ID_LENGTH = 256;

/**
 * Ids BullMQ cannot give a job: '0', and the names of the keys it keeps next to the job
 * hashes (`<queue>:<name>`), which a job of that id would collide with (WRONGTYPE).
 */
const RESERVED_JOB_IDS = new Set([
  '0',
  'active',
  'wait',
  'waiting-children',
  'paused',
  'id',
  'delayed',
  'prioritized',
  'priority',
  'stalled-check',
  'completed',
  'failed',
  'stalled',
  'repeat',
  'limiter',
  'meta',
  'metrics',
  'events',
  'pc',
  'marker',
  'de',
]);

/**
 * Rejects options every plug must refuse alike. Job ids may not hold ':' (BullMQ splits
 * its keys on it) nor be one BullMQ reserves; the memory plug enforces the same so a
 * caller that works on one plug works on the other.
 */
export function validateAddOptions(queue: QueueName, options: AddOptions): void {
  const fail = (message: string): never => {
    throw new QueueError(ErrorCode.ValidationFailed, message, queue);
  };
  const { jobId, attempts, backoff, delayMs } = options;
  if (jobId !== undefined) {
    if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > MAX_JOB_ID_LENGTH) {
      fail(`jobId must be a string of 1-${MAX_JOB_ID_LENGTH} characters`);
    }
    if (jobId.includes(':')) fail(`jobId "${jobId}" must not contain ':'`);
    if (RESERVED_JOB_IDS.has(jobId)) fail(`jobId "${jobId}" is reserved by the queue`);
  }
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1)) {
    fail('attempts must be an integer >= 1');
  }
  if (backoff !== undefined) {
    if (backoff.type !== 'exponential' && backoff.type !== 'fixed') fail('backoff.type must be exponential or fixed');
    if (!Number.isFinite(backoff.delayMs) || backoff.delayMs < 0) fail('backoff.delayMs must be >= 0');
  }
  if (delayMs !== undefined && (!Number.isFinite(delayMs) || delayMs < 0)) {
    fail('delayMs must be >= 0');
  }
}

/** Delay before the next try after `attemptsMade` tries failed (port semantics, same as BullMQ's built-ins). */
export function backoffDelay(backoff: AddOptions['backoff'], attemptsMade: number): number {
  if (!backoff) return 0;
  return backoff.type === 'fixed' ? backoff.delayMs : Math.round(backoff.delayMs * 2 ** (attemptsMade - 1));
}
