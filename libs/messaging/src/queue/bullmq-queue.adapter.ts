import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  Queue,
  QueueEvents,
  QueueEventsProducer,
  Worker,
  type ConnectionOptions,
  type Job,
  type JobsOptions,
  type QueueEventsListener,
  type RedisOptions,
} from 'bullmq';
import { Redis } from 'ioredis';
import { type RedisConnection, redisClientOptions } from '@plugboard/config';
import { ErrorCode, type QueueName, type SocketHealth } from '@plugboard/contracts';
import { validateAddOptions } from './queue-add-options';
import { QueueError } from './queue.errors';
import { JOB_TRACE_OPTION, chosenTraceCarrier, runJobTraced } from './job-tracing';
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

export interface BullmqQueueOptions {
  connection: RedisConnection;
  /** Redis key prefix of every queue of this deployment. */
  prefix: string;
  logger?: QueueLogger;
}

/** Finished jobs stay findable (and their ids de-duplicated) this long. */
const REMOVE_ON_COMPLETE = { age: 86_400, count: 10_000 };
const REMOVE_ON_FAIL = { age: 7 * 86_400 };
const HEALTH_TIMEOUT_MS = 1_000;
/** A producer command that gets no answer fails instead of holding an HTTP request. */
const COMMAND_TIMEOUT_MS = 5_000;
/** How long a call waits for a connection that is still being made (boot) before failing. */
const CONNECT_WAIT_MS = 3_000;
/** How long close() lets the event readers catch up with the jobs finished before it. */
const EVENTS_FLUSH_TIMEOUT_MS = 2_000;
const READER_CLOSE_TIMEOUT_MS = 1_000;
/** Time a Worker gets, once its handlers returned, to write their results and close. */
const WORKER_CLOSE_GRACE_MS = 5_000;
/** Job option holding a per-add random token; see `addMany()` for why. */
const ADD_TOKEN = 'pbAddToken';
/**
 * Reads the add token of each job hash in KEYS (nil for a job no longer stored) in one
 * command: a pipeline of HGETs costs the producer more to build than the reads themselves.
 */
const STORED_TOKENS_SCRIPT = `
local tokens = {}
for i, key in ipairs(KEYS) do
  local options = redis.call('HGET', key, 'opts')
  tokens[i] = options and cjson.decode(options)['${ADD_TOKEN}'] or false
end
return tokens`;
/** Custom stream event for a failed try that will be retried (BullMQ only streams final failures). */
const ATTEMPT_FAILED = 'attempt-failed';
const EVENTS_MAX_LEN = 10_000;
/** The same error from the same source is logged again only after this long. */
const RELOG_AFTER_MS = 60_000;

type Listener = (event: QueueEvent) => void;

/** Stream fields arrive as strings. */
interface AttemptFailedFields {
  jobId: string;
  failedReason: string;
  attemptsMade: string;
}

interface AttemptFailedListener extends QueueEventsListener {
  [ATTEMPT_FAILED]: (args: AttemptFailedFields, id: string) => void;
}

/**
 * QueueEvents that remembers the stream id of the last event it dispatched, so close()
 * can wait until the events of jobs finished before it have reached the listeners.
 */
class TrackedQueueEvents extends QueueEvents {
  dispatchedId = '0-0';

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const id = event === 'drained' ? args[0] : args[1];
    if (typeof id === 'string' && /^\d+-\d+$/.test(id)) this.dispatchedId = id;
    return (super.emit as (event: string | symbol, ...args: unknown[]) => boolean)(event, ...args);
  }
}

/**
 * The BullMQ plug: durable queues on Redis. One Queue per queue name on a shared producer
 * connection that fails fast while Redis is down; Workers and QueueEvents own blocking
 * connections that reconnect forever.
 */
export class BullmqQueueAdapter extends QueuePort {
  readonly plug = 'bullmq';
  private readonly producer: Redis;
  private readonly blockingConnection: ConnectionOptions;
  private readonly prefix: string;
  private readonly logger: QueueLogger;
  private readonly queues = new Map<QueueName, Promise<Queue>>();
  /** Each Worker with the handler calls it is running, awaited on close. */
  private readonly workers = new Map<QueueName, { worker: Worker; running: Set<Promise<void>> }>();
  private readonly eventProducers = new Map<QueueName, QueueEventsProducer>();
  private readonly events = new Map<QueueName, Promise<{ reader: TrackedQueueEvents; listeners: Set<Listener> }>>();
  private readonly lastLogged = new Map<string, { message: string; at: number }>();
  private producerError?: string;
  private closing?: Promise<void>;

  constructor(options: BullmqQueueOptions) {
    super();
    const base: RedisOptions = redisClientOptions(options.connection);
    this.prefix = options.prefix;
    this.logger = options.logger ?? consoleQueueLogger;
    // BullMQ requires blocking connections (Workers, QueueEvents) to retry commands forever.
    this.blockingConnection = { ...base, maxRetriesPerRequest: null };
    // The producer fails fast while Redis is down, so an HTTP caller gets an error, not a hang.
    this.producer = new Redis({
      ...base,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    this.producer.on('error', (error: Error) => {
      this.producerError = error.message;
      this.report('producer', error);
    });
    this.producer.on('ready', () => {
      if (this.producerError) this.logger.warn('queue: Redis connection restored');
      this.producerError = undefined;
      this.lastLogged.delete('producer');
    });
  }

  /** Adds a job: `addMany` of one. */
  override async add<T>(queue: QueueName, name: string, data: T, options: AddOptions = {}): Promise<AddResult> {
    const [result] = await this.addMany(queue, [{ name, data, options }]);
    return result;
  }

  /**
   * Adds jobs with one pipeline. With `jobId`, BullMQ answers a duplicate exactly like a new
   * job (same id, the caller's own data echoed back), so each add stores a random token in
   * the job's options and reads the stored token back (one more command): the add whose
   * token is stored created the job, every other add of that id was a duplicate. This holds
   * for concurrent adds from any number of processes, since each add script runs atomically
   * in Redis, and for one id twice in one call, since a pipeline runs in order.
   */
  override async addMany<T>(queue: QueueName, jobs: readonly NewJob<T>[]): Promise<AddResult[]> {
    this.assertOpen(queue);
    for (const job of jobs) validateAddOptions(queue, job.options ?? {});
    if (jobs.length === 0) return [];
    const tokens = jobs.map(() => randomUUID());
    const entries = jobs.map((job, i) => ({ name: job.name, data: job.data, opts: jobOptions(job.options ?? {}, tokens[i], chosenTraceCarrier(job.trace)) }));
    const target = await this.queue(queue);
    const ids = (await this.call(queue, () => target.addBulk(entries))).map((job) => job.id as string);
    const withId = jobs.flatMap((job, i) => (job.options?.jobId === undefined ? [] : [i]));
    const stored = withId.length === 0 ? [] : await this.call(queue, () => this.storedTokens(target, withId.map((i) => ids[i])));
    const duplicate = new Set(withId.filter((jobIndex, n) => stored[n] !== undefined && stored[n] !== tokens[jobIndex]));
    return ids.map((id, i) => ({ id, duplicate: duplicate.has(i) }));
  }

  /** Starts a Worker for `queue`; a try that fails and will be retried is streamed as a custom event. */
  override async process<T>(
    queue: QueueName,
    handler: (job: QueueJob<T>) => Promise<unknown>,
    options: ProcessOptions = {},
  ): Promise<void> {
    this.assertOpen(queue);
    if (this.workers.has(queue)) throw new QueueError(ErrorCode.Conflict, `queue ${queue} already has a processor`, queue);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new QueueError(ErrorCode.ValidationFailed, 'concurrency must be an integer >= 1', queue);
    }
    const running = new Set<Promise<void>>();
    const worker = new Worker(
      queue,
      (job: Job) => {
        const view: QueueJob<T> = {
          id: job.id as string,
          name: job.name,
          data: job.data as T,
          attemptsMade: job.attemptsMade,
          updateProgress: (progress) => job.updateProgress(progress),
        };
        const carrier = (job.opts as Record<string, unknown>)[JOB_TRACE_OPTION];
        const result = runJobTraced(queue, view, carrier, this.logger, () => handler(view));
        const settled = result.then(
          () => undefined,
          () => undefined,
        );
        running.add(settled);
        void settled.then(() => running.delete(settled));
        return result;
      },
      { connection: this.blockingConnection, prefix: this.prefix, concurrency },
    );
    worker.on('error', (error) => this.report(`worker ${queue}`, error));
    worker.on('failed', (job, error) => {
      if (!job) return;
      // Final failures are streamed by BullMQ itself as `failed`.
      const final = error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      if (!final) void this.publishAttemptFailed(queue, job.id as string, error.message, job.attemptsMade);
    });
    this.workers.set(queue, { worker, running });
  }

  /** Listens through one QueueEvents reader per queue, so events of every process arrive. */
  override async onEvent(queue: QueueName, listener: Listener): Promise<() => void> {
    this.assertOpen(queue);
    let entry = this.events.get(queue);
    if (!entry) {
      entry = this.startEvents(queue);
      this.events.set(queue, entry);
    }
    const { listeners } = await entry;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** The job and its state, or null when it does not exist (never added, or removed by retention). */
  override async getJob<T = unknown>(queue: QueueName, jobId: string): Promise<JobInfo<T> | null> {
    this.assertOpen(queue);
    const target = await this.queue(queue);
    return this.call(queue, async () => {
      const job = await target.getJob(jobId);
      if (!job) return null;
      const state = toJobState(await job.getState());
      if (!state) return null;
      return {
        id: job.id as string,
        name: job.name,
        data: job.data as T,
        state,
        attemptsMade: job.attemptsMade,
        progress: toProgress(job.progress),
        ...(job.processedOn ? { startedAt: job.processedOn } : {}),
        ...(state === 'completed' ? { returnValue: job.returnvalue } : {}),
        ...(job.failedReason ? { failedReason: job.failedReason } : {}),
      };
    });
  }

  /** Jobs per state; prioritized jobs and parents waiting for children count as waiting. */
  override async counts(queue: QueueName): Promise<JobCounts> {
    this.assertOpen(queue);
    const target = await this.queue(queue);
    const raw = await this.call(queue, () =>
      target.getJobCounts('wait', 'prioritized', 'waiting-children', 'delayed', 'active', 'completed', 'failed'),
    );
    return {
      waiting: (raw.wait ?? 0) + (raw.prioritized ?? 0) + (raw['waiting-children'] ?? 0),
      delayed: raw.delayed ?? 0,
      active: raw.active ?? 0,
      completed: raw.completed ?? 0,
      failed: raw.failed ?? 0,
    };
  }

  /** PING on the producer connection with a short deadline: up with its latency, or down with the reason. */
  override async health(): Promise<SocketHealth> {
    const down = (detail: string): SocketHealth => ({ socket: 'queue', plug: this.plug, status: 'down', detail });
    if (this.closing) return down('closed');
    if (this.producer.status !== 'ready') {
      return down(`redis ${this.producer.status}${this.producerError ? `: ${this.producerError}` : ''}`);
    }
    const started = performance.now();
    try {
      await withTimeout(this.producer.ping(), HEALTH_TIMEOUT_MS, 'PING timed out');
      return { socket: 'queue', plug: this.plug, status: 'up', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      return down(messageOf(error));
    }
  }

  /**
   * Stops the workers (each waits for its active jobs), lets the event readers deliver
   * what those jobs emitted, then closes queues, readers and connections.
   */
  override close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await Promise.allSettled([...this.workers.entries()].map(([queue, entry]) => this.closeWorker(queue, entry)));
    const readers = (await Promise.allSettled([...this.events.values()])).flatMap((r) =>
      r.status === 'fulfilled' ? [r.value.reader] : [],
    );
    await Promise.allSettled(readers.map((reader) => this.catchUp(reader)));
    const queues = (await Promise.allSettled([...this.queues.values()])).flatMap((r) =>
      r.status === 'fulfilled' ? [r.value] : [],
    );
    await Promise.allSettled([
      // Bounded: while Redis is down, QueueEvents.close() waits for an 'end' event ioredis
      // never emits for a client between reconnect tries (its retry timer is cleared anyway).
      ...readers.map((reader) => withTimeout(reader.close(), READER_CLOSE_TIMEOUT_MS, 'events reader close timed out')),
      ...[...this.eventProducers.values()].map((producer) => producer.close()),
      ...queues.map((target) => target.close()),
    ]);
    if (this.producer.status === 'ready') await this.producer.quit().catch(() => this.producer.disconnect());
    else this.producer.disconnect();
  }

  /**
   * Stops fetching, waits for the running handlers however long they take, then gives the
   * Worker a bounded time to record their results: with Redis down, Worker.close() waits
   * for an 'end' event ioredis never emits for a client between reconnect tries.
   */
  private async closeWorker(queue: QueueName, { worker, running }: { worker: Worker; running: Set<Promise<void>> }): Promise<void> {
    const closed = worker.close();
    while (running.size > 0) await Promise.all([...running]);
    try {
      await withTimeout(closed, WORKER_CLOSE_GRACE_MS, 'worker close timed out');
    } catch (error) {
      this.logger.warn(`queue ${queue}: ${messageOf(error)}, disconnecting it`);
      // Disconnecting clears the reconnect timers, so nothing keeps the process alive.
      await withTimeout(worker.disconnect(), READER_CLOSE_TIMEOUT_MS, 'worker disconnect timed out').catch(() => undefined);
    }
  }

  /**
   * The add token stored with each job; undefined for a job no longer stored (removed in
   * between: nothing tells whose it was, so its add counts as new).
   */
  private async storedTokens(target: Queue, ids: string[]): Promise<(string | undefined)[]> {
    const tokens = (await this.producer.eval(STORED_TOKENS_SCRIPT, ids.length, ...ids.map((id) => target.toKey(id)))) as (string | null)[];
    return tokens.map((token) => token ?? undefined);
  }

  private assertOpen(queue: QueueName): void {
    if (this.closing) throw new QueueError(ErrorCode.ShuttingDown, 'queue is closing', queue);
  }

  /**
   * Resolves once the producer connection is ready. While it is still making its first
   * connection (or a reconnect that has not failed yet) it waits a little; once Redis is
   * known to be down it fails at once, so callers get an error instead of a hang.
   */
  private async connected(queue: QueueName): Promise<void> {
    if (this.producer.status === 'ready') return;
    const unavailable = (reason: string) =>
      new QueueError(ErrorCode.ServiceUnavailable, `Redis is not connected (${this.producer.status}: ${reason})`, queue);
    if (this.producerError) throw unavailable(this.producerError);
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.producer.off('ready', onReady);
        this.producer.off('error', onError);
        if (error) reject(unavailable(error.message));
        else resolve();
      };
      const onReady = () => settle();
      const onError = (error: Error) => settle(error);
      const timer = setTimeout(() => settle(new Error(`no connection within ${CONNECT_WAIT_MS} ms`)), CONNECT_WAIT_MS);
      this.producer.once('ready', onReady);
      this.producer.once('error', onError);
    });
  }

  /** Runs a Redis operation, turning connection failures into SERVICE_UNAVAILABLE. */
  private async call<R>(queue: QueueName, operation: () => Promise<R>): Promise<R> {
    await this.connected(queue);
    try {
      return await operation();
    } catch (error) {
      if (error instanceof QueueError) throw error;
      throw new QueueError(ErrorCode.ServiceUnavailable, `queue ${queue}: ${messageOf(error)}`, queue);
    }
  }

  /** The Queue of `name`, created on first use; a Queue whose setup failed is dropped so the next call retries. */
  private queue(name: QueueName): Promise<Queue> {
    let pending = this.queues.get(name);
    if (!pending) {
      pending = this.openQueue(name).catch((error: unknown) => {
        this.queues.delete(name);
        throw error;
      });
      this.queues.set(name, pending);
    }
    return pending;
  }

  private async openQueue(name: QueueName): Promise<Queue> {
    await this.connected(name);
    const target = new Queue(name, { connection: this.producer, prefix: this.prefix });
    // Connection errors are logged once by the producer's own listener.
    target.on('error', () => undefined);
    try {
      await target.waitUntilReady();
      return target;
    } catch (error) {
      await target.close().catch(() => undefined);
      throw new QueueError(ErrorCode.ServiceUnavailable, `queue ${name}: ${messageOf(error)}`, name);
    }
  }

  private async startEvents(queue: QueueName): Promise<{ reader: TrackedQueueEvents; listeners: Set<Listener> }> {
    const listeners = new Set<Listener>();
    const emit = (event: QueueEvent) => {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          this.logger.error(`queue ${queue}: event listener threw: ${messageOf(error)}`);
        }
      }
    };
    // Start right after the stream's current last entry, so an event emitted once onEvent()
    // has resolved is never missed (BullMQ's default '$' is taken only when its first read
    // runs). Only while Redis is down does it fall back to '$'.
    const startId = await this.connected(queue)
      .then(() => this.streamTip(`${this.prefix}:${queue}:events`))
      .catch(() => undefined);
    const reader = new TrackedQueueEvents(queue, {
      connection: this.blockingConnection,
      prefix: this.prefix,
      ...(startId ? { lastEventId: startId } : {}),
    });
    if (startId) reader.dispatchedId = startId;
    // Not awaiting the reader's connection: it reads from `startId` whenever it gets there.
    reader.on('error', (error) => this.report(`events ${queue}`, error));
    reader.on('completed', ({ jobId, returnvalue }) => emit({ type: 'completed', queue, jobId, returnValue: returnvalue }));
    reader.on('progress', ({ jobId, data }) => emit({ type: 'progress', queue, jobId, progress: toProgress(data) }));
    reader.on('failed', ({ jobId, failedReason }) => {
      // The stream entry lacks the try count: read it from the job (kept 7 days after failing).
      void this.attemptsOf(queue, jobId).then((attemptsMade) =>
        emit({ type: 'failed', queue, jobId, reason: failedReason, attemptsMade, final: true }),
      );
    });
    reader.on<AttemptFailedListener>(ATTEMPT_FAILED, ({ jobId, failedReason, attemptsMade }: AttemptFailedFields) => {
      emit({ type: 'failed', queue, jobId, reason: failedReason, attemptsMade: Number(attemptsMade), final: false });
    });
    return { reader, listeners };
  }

  /** Waits (bounded) until `reader` has dispatched everything in its stream right now. */
  private async catchUp(reader: TrackedQueueEvents): Promise<void> {
    if (this.producer.status !== 'ready') return;
    const tip = await this.streamTip(reader.keys.events);
    const deadline = Date.now() + EVENTS_FLUSH_TIMEOUT_MS;
    while (compareStreamIds(reader.dispatchedId, tip) < 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Id of the last entry of a stream, `0-0` when it is empty. */
  private async streamTip(key: string): Promise<string> {
    const last = await this.producer.xrevrange(key, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  private async attemptsOf(queue: QueueName, jobId: string): Promise<number> {
    try {
      const attempts = await this.producer.hget(`${this.prefix}:${queue}:${jobId}`, 'atm');
      return Number(attempts ?? 0);
    } catch {
      return 0;
    }
  }

  private async publishAttemptFailed(queue: QueueName, jobId: string, reason: string, attemptsMade: number): Promise<void> {
    let producer = this.eventProducers.get(queue);
    if (!producer) {
      producer = new QueueEventsProducer(queue, { connection: this.producer, prefix: this.prefix });
      producer.on('error', () => undefined);
      this.eventProducers.set(queue, producer);
    }
    try {
      await producer.publishEvent({ eventName: ATTEMPT_FAILED, jobId, failedReason: reason, attemptsMade: String(attemptsMade) }, EVENTS_MAX_LEN);
    } catch (error) {
      this.logger.warn(`queue ${queue}: could not stream the failed try of job ${jobId}: ${messageOf(error)}`);
    }
  }

  /** Logs an error of a source once, not on every reconnect try: again only if it changes or a minute passed. */
  private report(source: string, error: Error): void {
    const last = this.lastLogged.get(source);
    const now = Date.now();
    if (last?.message === error.message && now - last.at < RELOG_AFTER_MS) return;
    this.lastLogged.set(source, { message: error.message, at: now });
    this.logger.error(`queue ${source}: ${error.message}`);
  }
}

/** BullMQ options of a job: retention, the add token, the trace and the caller's options. */
function jobOptions(options: AddOptions, token: string, trace: TraceCarrier | undefined): JobsOptions & { [ADD_TOKEN]: string } {
  return {
    attempts: options.attempts ?? 1,
    removeOnComplete: REMOVE_ON_COMPLETE,
    removeOnFail: REMOVE_ON_FAIL,
    [ADD_TOKEN]: token,
    ...(trace ? { [JOB_TRACE_OPTION]: trace } : {}),
    ...(options.jobId !== undefined ? { jobId: options.jobId } : {}),
    ...(options.backoff ? { backoff: { type: options.backoff.type, delay: options.backoff.delayMs } } : {}),
    ...(options.delayMs ? { delay: options.delayMs } : {}),
  };
}

function toJobState(state: string): JobState | null {
  switch (state) {
    case 'completed':
    case 'failed':
    case 'delayed':
    case 'active':
    case 'waiting':
      return state;
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    default:
      return null;
  }
}

function toProgress(progress: unknown): number | Record<string, unknown> {
  if (typeof progress === 'number') return progress;
  if (progress !== null && typeof progress === 'object') return progress as Record<string, unknown>;
  return 0;
}

function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(BigInt);
  const [bMs, bSeq] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
