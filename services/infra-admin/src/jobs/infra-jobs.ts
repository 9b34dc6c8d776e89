import { Injectable } from '@nestjs/common';
import { ErrorCode, INFRA_JOBS_PROGRESS_SUBJECT, type InfraJob, type InfraJobKind, type InfraJobProgressEvent } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import { ServiceError } from '@plugboard/service-kit';
import { randomUUID } from 'node:crypto';
import { JobProgress } from './job-progress';

/** Progress goes out on the bus at most this often per job (plus on every state change). */
export const PROGRESS_PUBLISH_INTERVAL_MS = 500;
/** Finished jobs kept for GET /api/infra/jobs. */
const FINISHED_KEPT = 50;

/** One running job, as its worker sees it: report progress, watch for cancellation, finish once. */
export class JobHandle {
  private readonly abort = new AbortController();
  private lastPublished = 0;

  constructor(
    private readonly jobs: InfraJobs,
    readonly job: InfraJob,
    private readonly progress: JobProgress,
  ) {}

  get id(): string {
    return this.job.id;
  }

  /** Aborted when the job is cancelled. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  setTotal(total: number): void {
    this.progress.total = total;
    this.refresh(true);
  }

  advance(rows: number): void {
    this.progress.done += rows;
    this.refresh(false);
  }

  mergeDetails(details: Record<string, unknown>): void {
    Object.assign(this.job.details, details);
  }

  /** Throws JOB_CANCELLED once the job was cancelled: call between units of work. */
  throwIfCancelled(): void {
    if (this.abort.signal.aborted) throw new ServiceError(ErrorCode.JobCancelled, `job ${this.id} was cancelled`);
  }

  complete(details: Record<string, unknown> = {}): void {
    this.finish('completed', details, null);
  }

  /** Failed, or cancelled when the error is the cancellation. */
  fail(error: unknown): void {
    const code = (error as { code?: unknown })?.code;
    const message = error instanceof Error ? error.message : String(error);
    const cancelled = this.abort.signal.aborted || code === ErrorCode.JobCancelled;
    this.finish(cancelled ? 'cancelled' : 'failed', {}, { code: typeof code === 'string' ? code : ErrorCode.Internal, message });
  }

  /** @internal by InfraJobs.cancel */
  requestCancel(): void {
    this.abort.abort(new ServiceError(ErrorCode.JobCancelled, `job ${this.id} was cancelled`));
  }

  private finish(state: InfraJob['state'], details: Record<string, unknown>, error: InfraJob['error']): void {
    if (this.job.state !== 'running') return;
    Object.assign(this.job.details, details);
    this.job.state = state;
    this.job.error = error;
    this.job.finishedAt = new Date().toISOString();
    this.refresh(true);
    this.jobs.finished(this);
  }

  private refresh(force: boolean): void {
    this.job.progress = this.progress.snapshot();
    const now = Date.now();
    if (!force && now - this.lastPublished < PROGRESS_PUBLISH_INTERVAL_MS) return;
    this.lastPublished = now;
    this.jobs.publish(this.job);
  }
}

/**
 * Long admin jobs (data export, data import) of this infra-admin: kept in memory, because each
 * is bound to the HTTP stream or the transaction of this process and cannot be resumed
 * elsewhere (a queue would add nothing but a second copy of the state). One export or import at
 * a time: starting another is INFRA_BUSY. The audit log entries are the gateway's: it knows the
 * calling key and client address, which never reach this process (an entry here would repeat
 * the gateway's without the who and the where).
 */
@Injectable()
export class InfraJobs {
  private readonly running = new Map<string, JobHandle>();
  private readonly recent: InfraJob[] = [];

  constructor(private readonly bus: BusPort) {}

  /** Registers a running job; INFRA_BUSY while another one runs. */
  start(kind: InfraJobKind, details: Record<string, unknown> = {}): JobHandle {
    const busy = [...this.running.values()][0];
    if (busy) {
      throw new ServiceError(ErrorCode.InfraBusy, `a data ${busy.job.kind} is running (job ${busy.id}); try again when it has finished`, { jobId: busy.id });
    }
    const progress = new JobProgress('rows');
    const job: InfraJob = {
      id: randomUUID(),
      kind,
      state: 'running',
      progress: progress.snapshot(),
      startedAt: new Date().toISOString(),
      finishedAt: null,
      details: { ...details },
      error: null,
    };
    const handle = new JobHandle(this, job, progress);
    this.running.set(job.id, handle);
    this.publish(job);
    return handle;
  }

  get(id: string): InfraJob {
    const job = this.running.get(id)?.job ?? this.recent.find((j) => j.id === id);
    if (!job) throw new ServiceError(ErrorCode.NotFound, `no job ${id} (jobs are kept in memory until infra-admin restarts)`);
    return job;
  }

  /** Running first, then finished, newest first. */
  list(): InfraJob[] {
    return [...[...this.running.values()].map((h) => h.job).reverse(), ...this.recent];
  }

  /** CONFLICT when the job has finished already. */
  cancel(id: string): InfraJob {
    const handle = this.running.get(id);
    if (!handle) {
      const job = this.get(id);
      throw new ServiceError(ErrorCode.Conflict, `job ${id} has already finished (${job.state})`);
    }
    handle.requestCancel();
    return handle.job;
  }

  /** @internal by JobHandle */
  finished(handle: JobHandle): void {
    this.running.delete(handle.id);
    this.recent.unshift(handle.job);
    this.recent.length = Math.min(this.recent.length, FINISHED_KEPT);
  }

  /** @internal by JobHandle */
  publish(job: InfraJob): void {
    const event: InfraJobProgressEvent = { id: job.id, kind: job.kind, state: job.state, progress: job.progress };
    this.bus.publish(INFRA_JOBS_PROGRESS_SUBJECT, event).catch(() => undefined);
  }
}
