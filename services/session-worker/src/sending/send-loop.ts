import type { EventType, MediaStreams, SessionStatusValue } from '@plugboard/contracts';
import type { MessageBatchRepository, MessageEntity, MessageRepository } from '@plugboard/database';
import type { EngineSession, SendResult } from '../engine/engine.port';
import { ChatLanes } from './chat-lanes';
import { Coalescer } from './coalescer';
import { prepareSend } from './outbound-message';
import type { TokenBucket } from './token-bucket';
import { Sleeps } from './sleeps';
import { isFinalSendError } from './unsendable-message';

/** What the loop needs of the session's runner (a `SessionRunner`). */
export interface SendLoopRunner {
  readonly generation: number;
  readonly engine: EngineSession | undefined;
  onStatus(listener: (status: SessionStatusValue) => void): () => void;
}

export type SendLoopMessages = Pick<MessageRepository, 'get' | 'listDue' | 'nextDueAt' | 'listSendingForSession' | 'transition'>;
export type SendLoopBatches = Pick<MessageBatchRepository, 'get'>;

export interface SendLoopOptions {
  sessionId: string;
  runner: SendLoopRunner;
  messages: SendLoopMessages;
  batches: SendLoopBatches;
  publish: (type: EventType, data: Record<string, unknown>) => Promise<void>;
  bucket: TokenBucket;
  maxAttempts: number;
  retryDelayMs: number;
  media?: MediaStreams;
  log: { log(message: string): void; warn(message: string): void };
  /** Most rows held in lanes at once; the next query runs when half of them are done. */
  fillLimit?: number;
  /** Looks for due rows this often even without a wake-up (a row whose job was lost). */
  idlePollMs?: number;
  /**
   * Opens a span during which an ack may come before the row it moves says `sent` (see
   * SendsInFlight); returns its end. Open from the engine call to the `sent` write, and from
   * the loop's start until it has reconciled the rows an older owner left `sending`.
   */
  ackMayOvertake?: () => () => void;
}

export type SendAccept = { messageId: string } | { batchId: string };

const DEFAULT_FILL_LIMIT = 256;
const DEFAULT_IDLE_POLL_MS = 10_000;

/**
 * The send loop of one session this worker owns, for one lease generation.
 *
 * It reads due pending rows from the database (the row is the truth; jobs only wake it) in
 * (dueAt, createdAt, id) order and hands them to per-chat lanes, so each chat keeps its order
 * while chats send concurrently. Wake-ups are coalesced: one query in flight plus at most one
 * re-query. Every send is two-phase — `sending` fenced by the lease generation, the engine
 * call with our message id, then `sent` — and is paced by the session's token bucket.
 *
 * Before its first query the loop reconciles rows an older generation left `sending` (a
 * crash or takeover) against the engine, so nothing is sent twice and nothing is lost.
 *
 * Tries of a failing send are counted in memory, not in the row: they are a policy of this
 * owner's engine connection, a new owner starts with a fresh connection and a fresh count,
 * and each step stays one conditional UPDATE.
 */
export class SendLoop {
  private readonly lanes: ChatLanes<MessageEntity>;
  private readonly filler: Coalescer;
  private readonly fillLimit: number;
  private readonly idlePollMs: number;
  /** Rows settled while a query was in flight: that query may still return them as pending. */
  private readonly settledDuringQuery = new Set<string>();
  /** Rows of each batch held in lanes: the batch is checked for completion when it drops to 0. */
  private readonly heldPerBatch = new Map<string, number>();
  private readonly readyWaiters = new Set<() => void>();
  private readonly sleeps = new Sleeps();
  private unsubscribeStatus: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  private reconciled = false;
  private reconciling: Promise<void> | undefined;
  private saturated = false;
  private closed = false;
  private readonly endUnreconciled: () => void;

  constructor(private readonly options: SendLoopOptions) {
    this.fillLimit = options.fillLimit ?? DEFAULT_FILL_LIMIT;
    this.idlePollMs = options.idlePollMs ?? DEFAULT_IDLE_POLL_MS;
    this.endUnreconciled = this.overtakeSpan();
    this.lanes = new ChatLanes(
      (row) => this.send(row),
      (row) => this.onSettled(row),
    );
    this.filler = new Coalescer(
      () => this.fillOnce(),
      (error) => {
        this.options.log.warn(`send loop of ${this.sessionId}: reading due messages failed: ${errorText(error)}`);
        this.schedule(Math.min(this.idlePollMs, this.options.retryDelayMs));
      },
    );
  }

  get sessionId(): string {
    return this.options.sessionId;
  }

  get generation(): number {
    return this.options.runner.generation;
  }

  /** Rows in lanes right now (tests, metrics). */
  get held(): number {
    return this.lanes.size;
  }

  /** Follows the session's status: sends only while `ready`, reconciles on the first `ready`. */
  start(): void {
    this.unsubscribeStatus = this.options.runner.onStatus((status) => this.statusChanged(status));
  }

  /** Someone (a job, a forwarded request) says there are rows to send. */
  wake(): void {
    if (this.closed || !this.ready || !this.reconciled) return;
    this.filler.trigger();
  }

  /**
   * Takes note of a message or a batch to send: the rows are already in the database, so
   * holding them means waking up. Returns how many rows are still to send: a batch's
   * pending count, or 1 for a single message without reading its row (the loop reads due
   * rows itself; one read per send would cost more than it tells).
   */
  async accept(input: SendAccept): Promise<number> {
    let accepted = 1;
    if ('batchId' in input) {
      const progress = await this.options.batches.get(input.batchId);
      accepted = progress && progress.batch.sessionId === this.sessionId ? progress.pending : 0;
    }
    if (accepted > 0) this.wake();
    return accepted;
  }

  /**
   * Stops taking rows. `wait` (a clean release) lets sends already at the engine finish and
   * be recorded; without it (the lease is lost) the loop just lets go. Rows not sent stay
   * pending for the next owner.
   */
  async close({ wait }: { wait: boolean }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeStatus?.();
    clearTimeout(this.timer);
    this.options.bucket.close();
    this.readyWaiters.forEach((wake) => wake());
    this.readyWaiters.clear();
    this.sleeps.wakeAll();
    this.lanes.clear();
    this.endUnreconciled();
    if (wait) await Promise.all([this.lanes.idle(), this.filler.idle(), this.reconciling]);
  }

  private statusChanged(status: SessionStatusValue): void {
    if (this.closed) return;
    this.ready = status === 'ready';
    if (!this.ready) return;
    this.readyWaiters.forEach((wake) => wake());
    this.readyWaiters.clear();
    if (this.reconciled) this.wake();
    else {
      this.reconciling ??= this.reconcile().finally(() => {
        this.reconciling = undefined;
        this.wake();
      });
    }
  }

  /**
   * Rows left `sending` by an older generation: the engine says whether each reached
   * WhatsApp. Found → `sent`; not found → sent again (first in its chat's lane, claimed by
   * this generation); unknowable → `failed` with `unknown_outcome`, never a blind resend.
   */
  private async reconcile(): Promise<void> {
    // Stops early when the session is not ready any more (findSent needs it): the next `ready` goes on.
    while (!this.closed && !this.reconciled && this.ready) {
      try {
        await this.reconcileOnce();
        this.reconciled = true;
        this.endUnreconciled();
      } catch (error) {
        this.options.log.warn(`send loop of ${this.sessionId}: reconciliation failed, trying again: ${errorText(error)}`);
        await this.pause(this.options.retryDelayMs);
      }
    }
  }

  private async reconcileOnce(): Promise<void> {
    const engine = this.options.runner.engine;
    if (!engine) throw new Error('the engine session is not open');
    const stuck = await this.options.messages.listSendingForSession(this.sessionId);
    for (const row of stuck) {
      if (this.closed) return;
      if ((row.leaseGeneration ?? -1) >= this.generation || this.lanes.has(row.id)) continue;
      const lookup = await engine.findSent(row.id, row.chatId);
      if (lookup.found === true) await this.markSent(row, lookup.result);
      else if (lookup.found === false) this.dispatch(row);
      else await this.markFailed(row, 'unknown_outcome', 1);
    }
    if (stuck.length) this.options.log.log(`send loop of ${this.sessionId}: reconciled ${stuck.length} message(s) left sending`);
  }

  /** One query of due rows into the lanes, then a timer for the next due row. */
  private async fillOnce(): Promise<void> {
    if (this.closed || !this.ready || !this.reconciled) return;
    clearTimeout(this.timer);
    const room = this.fillLimit - this.lanes.size;
    if (room <= 0) {
      this.saturated = true;
      return;
    }
    this.settledDuringQuery.clear();
    const now = new Date();
    const rows = await this.options.messages.listDue(this.sessionId, { now, limit: room, excludeIds: this.lanes.heldIds() });
    if (this.closed) return;
    for (const row of rows) {
      if (!this.settledDuringQuery.has(row.id)) this.dispatch(row);
    }
    this.saturated = rows.length >= room;
    if (this.saturated) return; // the lanes draining wake the next query
    const next = await this.options.messages.nextDueAt(this.sessionId, now);
    this.schedule(next ? Math.min(next.getTime() - Date.now(), this.idlePollMs) : this.idlePollMs);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), Math.max(0, delayMs));
    this.timer.unref?.();
  }

  private dispatch(row: MessageEntity): void {
    if (!this.lanes.push(row)) return;
    if (row.batchId) this.heldPerBatch.set(row.batchId, (this.heldPerBatch.get(row.batchId) ?? 0) + 1);
  }

  private onSettled(row: MessageEntity): void {
    if (this.filler.busy) this.settledDuringQuery.add(row.id);
    if (row.batchId) {
      const left = (this.heldPerBatch.get(row.batchId) ?? 1) - 1;
      if (left > 0) this.heldPerBatch.set(row.batchId, left);
      else {
        this.heldPerBatch.delete(row.batchId);
        void this.checkBatch(row.batchId);
      }
    }
    if (this.saturated && this.lanes.size <= this.fillLimit / 2) {
      this.saturated = false;
      this.wake();
    }
  }

  /** Reading a batch marks it completed once nothing of it is left. */
  private async checkBatch(batchId: string): Promise<void> {
    await this.options.batches.get(batchId).catch((error) => {
      this.options.log.warn(`batch ${batchId}: progress check failed: ${errorText(error)}`);
    });
  }

  /** One row, start to end: tries until sent, failed for good, taken by someone else, or the loop closes. */
  private async send(row: MessageEntity): Promise<void> {
    const { messages, runner, bucket, maxAttempts } = this.options;
    let attempts = 0;
    for (;;) {
      if (!(await this.untilReady()) || !(await bucket.take()) || this.closed) return;
      if (!this.ready) continue;
      const engine = runner.engine;
      if (!engine) continue;
      const claim = await messages.transition(row.id, 'sending', { generation: this.generation });
      if (!claim.applied) {
        // Fenced: the lease moved on, the new owner reconciles. Otherwise the row was
        // finished or cancelled (a failed batch row) meanwhile: nothing to do.
        if (claim.reason === 'fenced') await this.fenced();
        return;
      }
      const sending = claim.message;
      const endSpan = this.overtakeSpan();
      let result: SendResult;
      try {
        result = await this.engineSend(engine, sending);
      } catch (error) {
        endSpan();
        const reason = errorText(error);
        if (isFinalSendError(error)) {
          await this.markFailed(sending, reason, attempts + 1);
          return;
        }
        if (this.closed || !this.ready) {
          // The connection went away under the send: not this message's fault, so not a try.
          if (!(await this.backToPending(sending))) return;
          continue;
        }
        attempts += 1;
        if (attempts >= maxAttempts) {
          await this.markFailed(sending, reason, attempts);
          return;
        }
        if (!(await this.backToPending(sending))) return;
        await this.emit('message.failed', failedData(sending, reason, attempts, false));
        await this.pause(this.options.retryDelayMs * 2 ** (attempts - 1));
        continue;
      }
      try {
        await this.markSent(sending, result);
      } finally {
        endSpan();
      }
      return;
    }
  }

  /** A span during which an ack may overtake its row (none when nobody listens). */
  private overtakeSpan(): () => void {
    return this.options.ackMayOvertake?.() ?? (() => undefined);
  }

  private async engineSend(engine: EngineSession, row: MessageEntity): Promise<SendResult> {
    const prepared = await prepareSend(row, { media: this.options.media, messages: this.options.messages });
    try {
      return await engine.send(prepared.message);
    } finally {
      prepared.release();
    }
  }

  /** A retry: the row returns to pending by the generation that took it; false when it is not ours any more. */
  private async backToPending(row: MessageEntity): Promise<boolean> {
    const back = await this.options.messages.transition(row.id, 'pending', { generation: this.generation });
    return back.applied;
  }

  private async markSent(row: MessageEntity, result: SendResult): Promise<void> {
    const done = await this.options.messages.transition(row.id, 'sent', { waMessageId: result.waMessageId, at: result.timestamp });
    if (!done.applied) return;
    const sentAt = done.message.sentAt ?? result.timestamp;
    await this.emit('message.sent', {
      messageId: row.id,
      waMessageId: result.waMessageId,
      chatId: row.chatId,
      batchId: row.batchId ?? null,
      sentAt: sentAt.toISOString(),
    });
    await this.finishedOutsideLanes(row);
  }

  private async markFailed(row: MessageEntity, reason: string, attempts: number): Promise<void> {
    const done = await this.options.messages.transition(row.id, 'failed', { failureReason: reason });
    if (!done.applied) return;
    await this.emit('message.failed', failedData(row, reason, attempts, true));
    await this.finishedOutsideLanes(row);
  }

  /** A batch row finished by reconciliation (never in a lane): its batch may be complete now. */
  private async finishedOutsideLanes(row: MessageEntity): Promise<void> {
    if (row.batchId && !this.lanes.has(row.id)) await this.checkBatch(row.batchId);
  }

  private async fenced(): Promise<void> {
    this.options.log.warn(`send loop of ${this.sessionId} gen ${this.generation}: the lease moved on; stopping`);
    await this.close({ wait: false });
  }

  /** The row is the truth: a lost event is logged, never a reason to undo a send. */
  private async emit(type: EventType, data: Record<string, unknown>): Promise<void> {
    await this.options.publish(type, data).catch((error) => {
      this.options.log.warn(`${type} of ${String(data.messageId)} not published: ${errorText(error)}`);
    });
  }

  /** Resolves true once the session is ready, false when the loop closes first. */
  private untilReady(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => this.readyWaiters.add(() => resolve(!this.closed)));
  }

  private pause(ms: number): Promise<void> {
    return this.closed ? Promise.resolve() : this.sleeps.sleep(ms);
  }

}

function failedData(row: MessageEntity, reason: string, attempts: number, final: boolean): Record<string, unknown> {
  return { messageId: row.id, chatId: row.chatId, batchId: row.batchId ?? null, reason, attempts, final };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
