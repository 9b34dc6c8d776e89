import { ErrorCode, type QueueName, type SocketHealth } from '@plugboard/contracts';
import { backoffDelay, validateAddOptions } from './queue-add-options';
import { QueueError } from './queue.errors';
import { chosenTraceCarrier, jobTraceCarrier, runJobTraced } from './job-tracing';
import type { TraceCarrier } from '../tracing/message-tracing';
import { type QueueLogger, consoleQueueLogger } from './queue-logger';
import {
  QueuePort,
  type AddOptions,
  type AddResult,
  type JobCounts,
  type JobInfo,
  type JobState,
  type NewJob,
  type ProcessOptions,
  type QueueEvent,
  type QueueJob,
} from './queue.port';

/** Finished jobs are kept like the BullMQ plug keeps them, so a job id stays known as long. */
const KEEP_COMPLETED = { ageMs: 24 * 3600_000, count: 10_000 };
const KEEP_FAILED = { ageMs: 7 * 24 * 3600_000 };

interface MemoryJob {
  id: string;
  name: string;
  data: unknown;
  state: JobState;
  attemptsMade: number;
  progress: number | Record<string, unknown>;
  startedAt?: number;
  returnValue?: unknown;
  failedReason?: string;
  options: AddOptions;
  /** Trace context of the add, continued by every try. */
  trace?: TraceCarrier;
  timer?: NodeJS.Timeout;
}

interface QueueState {
  jobs: Map<string, MemoryJob>;
  waiting: string[];
  /** Finished job ids in finishing order, for retention. */
  completed: Map<string, number>;
  failed: Map<string, number>;
  nextId: number;
  active: number;
  processor?: { handler: (job: QueueJob<unknown>) => Promise<unknown>; concurrency: number };
  listeners: Set<(event: QueueEvent) => void>;
}

/**
 * The in-process queue plug of embedded mode. Nothing survives the process: the database
 * row is the truth and pending rows are re-enqueued on boot.
 */
export class MemoryQueueAdapter extends QueuePort {
  readonly plug = 'memory';
  private readonly queues = new Map<QueueName, QueueState>();
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;
  private readonly logger: QueueLogger;

  constructor(options: { logger?: QueueLogger } = {}) {
    super();
    this.logger = options.logger ?? consoleQueueLogger;
  }

  /** Adds a job; a known `jobId` (waiting, delayed, active or kept after finishing) is reported as duplicate. */
  override async add<T>(queue: QueueName, name: string, data: T, options: AddOptions = {}): Promise<AddResult> {
    this.assertOpen(queue);
    validateAddOptions(queue, options);
    return this.addValid(queue, name, data, options, jobTraceCarrier());
  }

  /** Adds the jobs one after the other, once every job's options passed. */
  override async addMany<T>(queue: QueueName, jobs: readonly NewJob<T>[]): Promise<AddResult[]> {
    this.assertOpen(queue);
    for (const job of jobs) validateAddOptions(queue, job.options ?? {});
    return jobs.map((job) => this.addValid(queue, job.name, job.data, job.options ?? {}, chosenTraceCarrier(job.trace)));
  }

  /** Starts consuming `queue` with up to `concurrency` jobs at once. */
  override async process<T>(
    queue: QueueName,
    handler: (job: QueueJob<T>) => Promise<unknown>,
    options: ProcessOptions = {},
  ): Promise<void> {
    this.assertOpen(queue);
    const state = this.state(queue);
    if (state.processor) throw new QueueError(ErrorCode.Conflict, `queue ${queue} already has a processor`, queue);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new QueueError(ErrorCode.ValidationFailed, 'concurrency must be an integer >= 1', queue);
    }
    state.processor = { handler: handler as (job: QueueJob<unknown>) => Promise<unknown>, concurrency };
    this.pump(queue);
  }

  /** Listens to this process's completed/failed/progress events of `queue`. */
  override async onEvent(queue: QueueName, listener: (event: QueueEvent) => void): Promise<() => void> {
    const { listeners } = this.state(queue);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** The job's current state, or null when unknown (never added, or dropped by retention). */
  override async getJob<T = unknown>(queue: QueueName, jobId: string): Promise<JobInfo<T> | null> {
    const job = this.queues.get(queue)?.jobs.get(jobId);
    if (!job) return null;
    return {
      id: job.id,
      name: job.name,
      data: job.data as T,
      state: job.state,
      attemptsMade: job.attemptsMade,
      progress: job.progress,
      ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}),
      ...(job.state === 'completed' ? { returnValue: job.returnValue } : {}),
      ...(job.failedReason !== undefined ? { failedReason: job.failedReason } : {}),
    };
  }

  /** Jobs per state. */
  override async counts(queue: QueueName): Promise<JobCounts> {
    const counts: JobCounts = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
    for (const job of this.queues.get(queue)?.jobs.values() ?? []) counts[job.state] += 1;
    return counts;
  }

  /** Always up while open: there is no backend to lose. */
  override async health(): Promise<SocketHealth> {
    return {
      socket: 'queue',
      plug: this.plug,
      status: this.closing ? 'down' : 'up',
      ...(this.closing ? { detail: 'closed' } : {}),
    };
  }

  /** Stops taking jobs, cancels retry/delay timers and waits for the running handlers. */
  override async close(): Promise<void> {
    this.closing = true;
    for (const state of this.queues.values()) {
      for (const job of state.jobs.values()) clearTimeout(job.timer);
    }
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private addValid(queue: QueueName, name: string, data: unknown, options: AddOptions, trace: TraceCarrier | undefined): AddResult {
    const state = this.state(queue);
    if (options.jobId !== undefined && state.jobs.has(options.jobId)) return { id: options.jobId, duplicate: true };
    const id = options.jobId ?? this.nextAutoId(state);
    const job: MemoryJob = { id, name, data, state: 'waiting', attemptsMade: 0, progress: 0, options, trace };
    state.jobs.set(id, job);
    if (options.delayMs) this.delay(queue, job, options.delayMs);
    else this.enqueue(queue, job);
    return { id, duplicate: false };
  }

  private assertOpen(queue: QueueName): void {
    if (this.closing) throw new QueueError(ErrorCode.ShuttingDown, 'queue is closing', queue);
  }

  private state(queue: QueueName): QueueState {
    let state = this.queues.get(queue);
    if (!state) {
      state = { jobs: new Map(), waiting: [], completed: new Map(), failed: new Map(), nextId: 1, active: 0, listeners: new Set() };
      this.queues.set(queue, state);
    }
    return state;
  }

  /** Numeric ids like BullMQ's, skipping any a caller already took as a custom id. */
  private nextAutoId(state: QueueState): string {
    let id = String(state.nextId++);
    while (state.jobs.has(id)) id = String(state.nextId++);
    return id;
  }

  private enqueue(queue: QueueName, job: MemoryJob): void {
    job.state = 'waiting';
    this.state(queue).waiting.push(job.id);
    this.pump(queue);
  }

  private delay(queue: QueueName, job: MemoryJob, ms: number): void {
    job.state = 'delayed';
    if (this.closing) return;
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.enqueue(queue, job);
    }, ms);
    // A pending retry must not keep the process alive on its own.
    job.timer.unref();
  }

  private pump(queue: QueueName): void {
    const state = this.state(queue);
    const processor = state.processor;
    if (!processor) return;
    while (!this.closing && state.active < processor.concurrency && state.waiting.length > 0) {
      const job = state.jobs.get(state.waiting.shift() as string);
      if (!job || job.state !== 'waiting') continue;
      const run = this.run(queue, state, job, processor.handler).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
  }

  private async run(
    queue: QueueName,
    state: QueueState,
    job: MemoryJob,
    handler: (job: QueueJob<unknown>) => Promise<unknown>,
  ): Promise<void> {
    job.state = 'active';
    job.startedAt = Date.now();
    state.active += 1;
    const view: QueueJob<unknown> = {
      id: job.id,
      name: job.name,
      data: job.data,
      attemptsMade: job.attemptsMade,
      updateProgress: async (progress) => {
        job.progress = progress;
        this.emit(queue, { type: 'progress', queue, jobId: job.id, progress });
      },
    };
    try {
      // Deferred a tick so a handler that throws synchronously is still a failed try.
      const returnValue = await runJobTraced(queue, view, job.trace, this.logger, () => Promise.resolve().then(() => handler(view)));
      job.attemptsMade += 1;
      job.state = 'completed';
      job.returnValue = returnValue;
      this.retain(state, state.completed, job.id, KEEP_COMPLETED.ageMs, KEEP_COMPLETED.count);
      this.emit(queue, { type: 'completed', queue, jobId: job.id, returnValue });
    } catch (error) {
      job.attemptsMade += 1;
      job.failedReason = error instanceof Error ? error.message : String(error);
      const final = job.attemptsMade >= (job.options.attempts ?? 1);
      if (final) {
        job.state = 'failed';
        this.retain(state, state.failed, job.id, KEEP_FAILED.ageMs);
      } else {
        const wait = backoffDelay(job.options.backoff, job.attemptsMade);
        if (wait > 0) this.delay(queue, job, wait);
        else if (this.closing) job.state = 'waiting';
        else this.enqueue(queue, job);
      }
      this.emit(queue, {
        type: 'failed',
        queue,
        jobId: job.id,
        reason: job.failedReason,
        attemptsMade: job.attemptsMade,
        final,
      });
    } finally {
      state.active -= 1;
      this.pump(queue);
    }
  }

  /** Records a finished job and forgets the ones past the age or count limit. */
  private retain(state: QueueState, finished: Map<string, number>, id: string, maxAgeMs: number, maxCount = Infinity): void {
    const now = Date.now();
    finished.set(id, now);
    for (const [oldId, finishedAt] of finished) {
      if (finished.size <= maxCount && now - finishedAt <= maxAgeMs) break;
      finished.delete(oldId);
      state.jobs.delete(oldId);
    }
  }

  private emit(queue: QueueName, event: QueueEvent): void {
    for (const listener of this.state(queue).listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(`queue ${queue}: event listener threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
