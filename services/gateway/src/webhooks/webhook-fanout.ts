import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, InjectConfig } from '@plugboard/config';
import type { EventEnvelope } from '@plugboard/contracts';
import { Database, type NewWebhookDelivery } from '@plugboard/database';
import { BusPort, type BusSubscription, type EventMeta, QueuePort } from '@plugboard/messaging';
import { ServiceLogger } from '@plugboard/service-kit';
import { WebhookDeliveryStatements } from './webhook-delivery-statements';
import { WebhookDirectory } from './webhook-directory';
import { webhookMatches } from './webhook-filter';
import { enqueueNextAttempts } from './webhook-jobs';
import { resumePoint } from '../events/resume-point';
import { webhookDeliveryId } from './webhook-signature';

/** How often the durable cursor is written while events flow. */
const CURSOR_FLUSH_MS = 500;
/** Most events written in one batch; the stream waits while this many are buffered. */
const MAX_BATCH = 256;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

/**
 * Turns events into deliveries. For each event of the durable events stream, every matching
 * webhook gets a `pending` row (id derived from webhook + event) and its first job, and only
 * then does the event count as handled; the handled position is stored in the database and
 * the next boot resumes right after it, so a crash loses nothing.
 *
 * Events are buffered and written in batches (one insert for all their rows, one add for
 * all their jobs), in stream order; the handled position moves only past a written batch.
 *
 * Several gateways: each reads the whole stream and fans out every event. That is safe
 * because fan-out is idempotent (deterministic row ids, job ids de-duplicated by the queue),
 * and it needs no leader election or consumer hand-over when a replica dies.
 */
@Injectable()
export class WebhookFanout implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: BusSubscription;
  private stopped = false;
  private handledSeq = 0;
  private storedSeq = 0;
  private flushTimer?: NodeJS.Timeout;
  private starting?: Promise<void>;
  private buffer: { event: EventEnvelope; seq: number }[] = [];
  private draining?: Promise<void>;

  constructor(
    private readonly bus: BusPort,
    private readonly queue: QueuePort,
    private readonly database: Database,
    private readonly statements: WebhookDeliveryStatements,
    private readonly directory: WebhookDirectory,
    private readonly logger: ServiceLogger,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Starts in the background: the boot does not wait for the database or the bus. */
  onApplicationBootstrap(): void {
    this.starting = this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.starting;
    clearInterval(this.flushTimer);
    await this.subscription?.unsubscribe().catch(() => undefined);
    await this.draining;
    await this.flushCursor().catch(() => undefined);
  }

  /** The cursor's key: one per events stream (and subject prefix) of the bus. */
  get cursorKey(): string {
    return [this.config.BUS_SUBJECT_PREFIX, this.config.EVENTS_STREAM].filter(Boolean).join(':');
  }

  /** True when stream sequences survive this process (NATS); the in-process log starts over at 1. */
  private get durableStream(): boolean {
    return this.bus.plug !== 'memory';
  }

  private async start(): Promise<void> {
    for (let tries = 0; !this.stopped; tries++) {
      try {
        await this.database.connector.whenReady();
        const last = this.durableStream ? await this.database.webhookCursors.get(this.cursorKey) : undefined;
        const from = last === undefined ? 1 : await this.resumeFrom(last);
        this.handledSeq = this.storedSeq = from - 1;
        if (this.stopped) return;
        this.subscription = await this.bus.subscribeEvents({ fromSequence: from }, (event, meta) => this.handle(event, meta));
        this.flushTimer = setInterval(() => void this.flushCursor().catch((e: unknown) => this.warn('cursor write failed', e)), CURSOR_FLUSH_MS);
        this.logger.log(`webhooks: fan-out follows the events stream from sequence ${from}`, 'Webhooks');
        return;
      } catch (error) {
        this.warn('fan-out could not start, retrying', error);
        await sleep(backoff(tries));
      }
    }
  }

  /**
   * Where fan-out continues after the stored cursor `last`: right after it while the stream
   * still holds that point. A stream that started over (recreated: `last` is beyond its newest
   * event) is fanned out again from its start, the cursor set back to match; that is safe
   * because fan-out is idempotent, and waiting for the old position instead would skip every
   * event until the new stream reached it. Events that retention dropped before they were
   * fanned out are gone: said loudly, then fan-out goes on from the oldest kept.
   */
  private async resumeFrom(last: number): Promise<number> {
    const { fromSequence, reset } = resumePoint(last, await this.bus.eventBounds());
    if (reset?.reason === 'restarted') {
      this.logger.warn(`webhooks: the events stream started over (its newest event is before the stored cursor ${last}): fanning out all it holds again`, 'Webhooks');
      await this.database.webhookCursors.startOver(this.cursorKey, fromSequence - 1);
    } else if (reset) {
      this.logger.error(`webhooks: events ${last + 1} to ${fromSequence - 1} were dropped by the events stream's retention before they were fanned out; their webhooks never get them`, 'Webhooks');
    }
    return fromSequence;
  }

  /** Buffers the event for the next batch; holds the stream while a full batch waits to be written. */
  private async handle(event: EventEnvelope, meta: EventMeta): Promise<void> {
    this.buffer.push({ event, seq: meta.seq });
    this.draining ??= this.drain();
    if (this.buffer.length >= MAX_BATCH) await this.draining;
  }

  /**
   * Writes buffered events batch by batch until none is left. Never throws: a failure
   * (database down) is retried until it succeeds, holding the stream at this batch,
   * because an event skipped here would be lost for good.
   */
  private async drain(): Promise<void> {
    // Let the consumer hand over what it already has, so batches are not of one event.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await this.drainBuffer();
    } finally {
      // Cleared in the same tick as the last emptiness check, so an event pushed after it starts a new drain.
      this.draining = undefined;
    }
  }

  private async drainBuffer(): Promise<void> {
    while (this.buffer.length > 0 && !this.stopped) {
      const batch = this.buffer.slice(0, MAX_BATCH);
      for (let tries = 0; !this.stopped; tries++) {
        try {
          await this.fanOut(batch.map((b) => b.event));
          this.buffer.splice(0, batch.length);
          this.handledSeq = Math.max(this.handledSeq, batch[batch.length - 1].seq);
          break;
        } catch (error) {
          // A webhook deleted meanwhile fails the insert of its rows: read the webhooks again.
          this.directory.invalidate();
          this.warn(`fan-out of ${batch.length} events (seq ${batch[0].seq}-${batch[batch.length - 1].seq}) failed, retrying`, error);
          await sleep(backoff(tries));
        }
      }
    }
  }

  /** Rows first, then their jobs: a crash in between is healed by the replay and by the restart sweep. */
  private async fanOut(events: EventEnvelope[]): Promise<void> {
    // By id: an event replayed within one batch yields one row.
    const rows = new Map<string, NewWebhookDelivery>();
    for (const event of events) {
      const webhooks = (await this.directory.activeForSession(event.sessionId)).filter((w) => webhookMatches(w, event));
      for (const w of webhooks) {
        const id = webhookDeliveryId(w.id, event.id);
        rows.set(id, {
          id,
          webhookId: w.id,
          sessionId: event.sessionId,
          eventId: event.id,
          eventType: event.type,
          payload: { id: event.id, type: event.type, version: event.version, sessionId: event.sessionId, occurredAt: event.occurredAt, data: event.data },
        });
      }
    }
    if (rows.size === 0) return;
    const stored = await this.statements.insertPending([...rows.values()]);
    await enqueueNextAttempts(this.queue, stored.filter((row) => row.status === 'pending'));
  }

  private async flushCursor(): Promise<void> {
    if (!this.durableStream || this.handledSeq <= this.storedSeq) return;
    const seq = this.handledSeq;
    await this.database.webhookCursors.advance(this.cursorKey, seq);
    this.storedSeq = seq;
  }

  private warn(what: string, error: unknown): void {
    this.logger.warn(`webhooks: ${what}: ${error instanceof Error ? error.message : String(error)}`, 'Webhooks');
  }
}

function backoff(tries: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** tries);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
