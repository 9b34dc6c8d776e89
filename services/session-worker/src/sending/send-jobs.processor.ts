import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BulkJobSchema, ErrorCode, QueueName, SendJobSchema, sessionSubject } from '@plugboard/contracts';
import { SessionRepository } from '@plugboard/database';
import { BusPort, type QueueJob, QueuePort } from '@plugboard/messaging';
import { ServiceError, ServiceLogger } from '@plugboard/service-kit';
import type { SendAccept } from './send-loop';
import { SendLoops } from './send-loops';

export interface SendJobOutcome {
  accepted: number;
  /** `local`: this worker owns the session; `forwarded`: its owner took it; `deferred`: the session is stopped. */
  via: 'local' | 'forwarded' | 'deferred' | 'gone';
}

/**
 * Consumes `messages-send` and `messages-bulk` on every session-worker. A job only says
 * "this session has rows to send": the owner of the session's lease takes them into its
 * send loop, here when this worker owns it (the fast path), else over
 * `wa.session.<id>.send` to the owner.
 *
 * Why forward instead of routing jobs to their owner: one queue for everyone, no per-session
 * queues and no routing table to keep right across takeovers. A job completes once the
 * owner holds the message; that hold is itself durable because the row is `pending` in the
 * database and a takeover reloads every pending and sending row. When nobody answers (a
 * takeover under way) the job fails and the queue tries again with backoff.
 */
@Injectable()
export class SendJobsProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopping = false;

  constructor(
    private readonly loops: SendLoops,
    private readonly sessions: SessionRepository,
    private readonly bus: BusPort,
    private readonly queue: QueuePort,
    private readonly logger: ServiceLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const concurrency = this.loops.settings.concurrency;
    await this.queue.process(QueueName.MessagesSend, (job) => this.run(job, SendJobSchema), { concurrency });
    await this.queue.process(QueueName.MessagesBulk, (job) => this.run(job, BulkJobSchema), { concurrency });
  }

  onApplicationShutdown(): void {
    this.stopping = true;
  }

  /** One job: hand its rows to the session's owner. Throws (so the queue retries) while no owner takes them. */
  async run(job: QueueJob<unknown>, schema: typeof SendJobSchema | typeof BulkJobSchema): Promise<SendJobOutcome> {
    const parsed = schema.safeParse(job.data);
    if (!parsed.success) {
      // A malformed job never gets better: complete it (logged) instead of retrying it 20 times.
      this.logger.warn(`send job ${job.id} is malformed and dropped: ${parsed.error.message}`);
      return { accepted: 0, via: 'gone' };
    }
    if (this.stopping) throw new ServiceError(ErrorCode.ShuttingDown, 'sending is shutting down');
    const { sessionId } = parsed.data;
    const input: SendAccept = 'messageId' in parsed.data ? { messageId: parsed.data.messageId } : { batchId: parsed.data.batchId };
    if (this.loops.get(sessionId)) return { accepted: await this.loops.acceptOwned(sessionId, input), via: 'local' };
    try {
      const reply = await this.bus.request('wa.session.send', input, {
        subject: sessionSubject(sessionId, 'send'),
        timeoutMs: this.loops.settings.forwardTimeoutMs,
      });
      return { accepted: reply.accepted, via: 'forwarded' };
    } catch (error) {
      const session = await this.sessions.get(sessionId);
      // Deleted: its rows went with it. Stopped: the rows wait, pending, and are loaded when it runs again.
      if (!session) return { accepted: 0, via: 'gone' };
      if (session.desiredState === 'stopped') return { accepted: 0, via: 'deferred' };
      throw new ServiceError(ErrorCode.ServiceUnavailable, `no owner of session ${sessionId} took the send: ${errorText(error)}`, {
        retryAfterMs: 500,
      });
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
