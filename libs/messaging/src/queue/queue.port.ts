import type { QueueName, SocketHealth } from '@plugboard/contracts';
import type { TraceCarrier } from '../tracing/message-tracing';

export interface AddOptions {
  /** De-duplication: adding a job whose id exists (waiting, active, completed kept) returns it instead. */
  jobId?: string;
  /** Total tries, the first included. Default 1. */
  attempts?: number;
  /** Delay before try n+1 is `delayMs * 2^(n-1)` for exponential, `delayMs` for fixed. */
  backoff?: { type: 'exponential' | 'fixed'; delayMs: number };
  /** Wait this long before the first try. */
  delayMs?: number;
}

/** One job of `addMany`. */
export interface NewJob<T = unknown> {
  name: string;
  data: T;
  options?: AddOptions;
  /**
   * Trace context the job continues, for jobs collected under other contexts than the one
   * adding them (null: none). Omitted: the context active at the call, as with `add`.
   */
  trace?: TraceCarrier | null;
}

export interface AddResult {
  id: string;
  /** True when a job with this id already existed and nothing new was added. */
  duplicate: boolean;
}

export interface QueueJob<T = unknown> {
  id: string;
  name: string;
  data: T;
  /** Tries made before this one. */
  attemptsMade: number;
  updateProgress(progress: number | Record<string, unknown>): Promise<void>;
}

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export interface JobInfo<T = unknown> {
  id: string;
  name: string;
  data: T;
  state: JobState;
  attemptsMade: number;
  progress: number | Record<string, unknown>;
  /** When its latest try started (ms since epoch); absent before the first. Tells a long-running try from a fresh one. */
  startedAt?: number;
  returnValue?: unknown;
  failedReason?: string;
}

export type JobCounts = Record<JobState, number>;

export interface ProcessOptions {
  /** How many jobs of this queue run at once in this process. Default 1. */
  concurrency?: number;
}

export type QueueEvent =
  | { type: 'completed'; queue: QueueName; jobId: string; returnValue: unknown }
  | { type: 'failed'; queue: QueueName; jobId: string; reason: string; attemptsMade: number; final: boolean }
  | { type: 'progress'; queue: QueueName; jobId: string; progress: number | Record<string, unknown> };

/**
 * The queue socket: durable work with de-duplication, retries with backoff, concurrency,
 * progress and completion events. Plugs: in-process and BullMQ on Redis.
 */
export abstract class QueuePort {
  abstract readonly plug: string;

  /** Adds a job; with `jobId` a second add of the same id is a no-op that reports `duplicate`. */
  abstract add<T>(queue: QueueName, name: string, data: T, options?: AddOptions): Promise<AddResult>;

  /**
   * Adds several jobs in one round trip (one pipeline on BullMQ), each de-duplicated by its
   * own `jobId` as `add` would (of two with one id, the first is new); results in job order.
   * Options are checked first, so an invalid one adds nothing. A failure rejects the whole
   * call, though some jobs may be in already: a retry should reuse their ids.
   */
  abstract addMany<T>(queue: QueueName, jobs: readonly NewJob<T>[]): Promise<AddResult[]>;

  /** Starts consuming a queue in this process. One processor per queue per process. */
  abstract process<T>(queue: QueueName, handler: (job: QueueJob<T>) => Promise<unknown>, options?: ProcessOptions): Promise<void>;

  /** Listens to completed/failed/progress of a queue's jobs (from any process on BullMQ). Returns an unsubscribe. */
  abstract onEvent(queue: QueueName, listener: (event: QueueEvent) => void): Promise<() => void>;

  abstract getJob<T = unknown>(queue: QueueName, jobId: string): Promise<JobInfo<T> | null>;

  abstract counts(queue: QueueName): Promise<JobCounts>;

  /** A live probe (Redis PING on BullMQ) for health. */
  abstract health(): Promise<SocketHealth>;

  /** Stops taking jobs, waits for the in-flight ones to finish, then closes connections. */
  abstract close(): Promise<void>;
}
