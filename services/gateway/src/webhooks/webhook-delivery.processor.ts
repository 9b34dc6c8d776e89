import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ErrorCode, QueueName } from '@plugboard/contracts';
import { type AttemptOutcome, Database, type RecordedAttempt, type WebhookAttempt, type WebhookDeliveryEntity } from '@plugboard/database';
import { type QueueJob, QueuePort } from '@plugboard/messaging';
import { MetricsService, ServiceError, ServiceLogger } from '@plugboard/service-kit';
import { Batcher } from './webhook-batcher';
import { type DeliveryForTry, WebhookDeliveryStatements } from './webhook-delivery-statements';
import { WebhookDirectory } from './webhook-directory';
import { type WebhookJobData, attemptsInRound, enqueueNextAttempt, enqueueNextAttempts, rescueAttempt } from './webhook-jobs';
import { isRetryable, retryDelayMs } from './webhook-retry';
import { WebhookSender } from './webhook-sender';
import { WebhookSettings } from './webhook-settings';
import { signingSecrets } from './webhook-signature';
import { WEBHOOK_METRICS } from './webhook.metrics';

const SWEEP_PAGE = 500;
/** A try is stuck once it is this much later than its due time plus the request timeout. */
const RESCUE_GRACE_MS = 5_000;
const RESCUE_INTERVAL_MS = 5_000;
const RESCUE_PAGE = 100;
/** Rows looked at per rescue round, so a long legitimate backlog costs a bounded amount of work. */
const RESCUE_SCAN_LIMIT = 500;
/** Most rows read, or tries recorded, in one statement / transaction. */
const MAX_BATCH = 64;

/**
 * Consumes `webhooks-deliver`: one job = one try. The outcome is written to the row before
 * the next try is enqueued; a crash in between is healed by the sweep at boot, which
 * re-enqueues every pending row (the row is the truth, the queue is transport). Tries held
 * by a worker that died stay locked in the queue until its stall check frees them (up to a
 * minute); the periodic rescue gives them a new job much sooner.
 *
 * Reads of rows and records of tries are batched across the tries in flight (one SELECT,
 * one UPDATE), so the database, not each try, pays a statement and a commit: on SQLite's
 * single connection a commit per try would cap deliveries at the disk's fsync rate.
 */
@Injectable()
export class WebhookDeliveryProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private rescueTimer?: NodeJS.Timeout;
  private rescuing = false;
  private stopping = false;
  /** Deliveries with a try running in this process: a second job of one (a rescue) waits its turn. */
  private readonly running = new Map<string, Promise<string>>();
  private readonly rows = new Batcher<string, DeliveryForTry | null>(async (ids) => {
    const byId = new Map((await this.statements.readForTries(ids)).map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }, MAX_BATCH);
  private readonly records = new Batcher<RecordedAttempt, boolean>((tries) => this.statements.recordAttempts(tries), MAX_BATCH);

  constructor(
    private readonly database: Database,
    private readonly statements: WebhookDeliveryStatements,
    private readonly directory: WebhookDirectory,
    private readonly queue: QueuePort,
    private readonly sender: WebhookSender,
    private readonly settings: WebhookSettings,
    private readonly logger: ServiceLogger,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.process<WebhookJobData>(QueueName.WebhooksDeliver, (job) => this.run(job), { concurrency: this.settings.concurrency });
    void this.sweep();
    this.rescueTimer = setInterval(() => void this.rescue(), RESCUE_INTERVAL_MS).unref();
  }

  /** Takes no new try from here on: the shared queue may go on handing out jobs until it closes. */
  onApplicationShutdown(): void {
    this.stopping = true;
    clearInterval(this.rescueTimer);
  }

  /** Makes one try of the job's delivery; stale jobs (row finished or redelivered meanwhile) do nothing. */
  async run(job: QueueJob<WebhookJobData>): Promise<string> {
    const { deliveryId } = job.data;
    // Failing the job keeps it for later (queue retry, or the sweep at the next boot).
    if (this.stopping) throw new ServiceError(ErrorCode.ShuttingDown, 'webhook delivery is shutting down');
    // The same delivery tried twice at once would reach the receiver twice; the later job finds the try recorded.
    for (let other = this.running.get(deliveryId); other; other = this.running.get(deliveryId)) await other.catch(() => undefined);
    const tried = this.tryOnce(job.data);
    this.running.set(deliveryId, tried);
    try {
      return await tried;
    } finally {
      this.running.delete(deliveryId);
    }
  }

  private async tryOnce({ deliveryId, round, attempt }: WebhookJobData): Promise<string> {
    const row = await this.rows.call(deliveryId);
    if (!row || row.status !== 'pending' || row.round !== round || attemptsInRound(row) + 1 !== attempt) return 'stale';
    // The row is read fresh on every try; the webhook may come from the short-lived cache.
    const webhook = await this.directory.get(row.webhookId);
    if (!webhook) return 'stale';

    const at = new Date();
    const record = (fields: Pick<WebhookAttempt, 'statusCode' | 'durationMs' | 'error'>): WebhookAttempt => ({ round, attempt, at: at.toISOString(), ...fields });
    if (!webhook.active) {
      await this.record(deliveryId, record({ statusCode: null, durationMs: 0, error: 'webhook is inactive' }), { status: 'dead' }, row);
      this.metrics.counter(WEBHOOK_METRICS.deadLetters).inc();
      return 'dead';
    }
    const { body } = row;
    const bytes = Buffer.byteLength(body);
    if (bytes > this.settings.maxPayloadBytes) {
      const error = `payload of ${bytes} bytes exceeds WEBHOOK_MAX_PAYLOAD_BYTES (${this.settings.maxPayloadBytes})`;
      await this.record(deliveryId, record({ statusCode: null, durationMs: 0, error }), { status: 'dead' }, row);
      this.metrics.counter(WEBHOOK_METRICS.deadLetters).inc();
      return 'dead';
    }

    const result = await this.sender.send({ url: webhook.url, id: deliveryId, secrets: signingSecrets(webhook, at.getTime()), body, headers: webhook.headers });
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug(`webhooks: delivery ${deliveryId} of event ${row.eventId} try ${attempt}: ${result.error ?? `HTTP ${result.statusCode}`} in ${result.durationMs} ms`, 'Webhooks');
    }
    // Cut short by the shutdown (the connections are closing): not the receiver's failure, so not a try.
    if (this.stopping && result.statusCode === null) throw new ServiceError(ErrorCode.ShuttingDown, 'webhook delivery is shutting down');
    this.metrics.counter(WEBHOOK_METRICS.attempts).inc();
    if (result.error !== null) this.metrics.counter(WEBHOOK_METRICS.failures).inc();
    const tried = record({ statusCode: result.statusCode, durationMs: result.durationMs, error: result.error });
    if (result.error === null) {
      await this.record(deliveryId, tried, { status: 'delivered' }, row);
      return 'delivered';
    }
    if (result.blocked || !isRetryable(result.statusCode) || attempt >= webhook.retryAttempts) {
      await this.record(deliveryId, tried, { status: 'dead' }, row);
      this.metrics.counter(WEBHOOK_METRICS.deadLetters).inc();
      return 'dead';
    }
    const nextAttemptAt = new Date(Date.now() + retryDelayMs(webhook.retryBackoffMs, attempt + 1));
    if (await this.record(deliveryId, tried, { status: 'pending', nextAttemptAt }, row)) {
      await enqueueNextAttempt(this.queue, { id: deliveryId, round, attempts: [...row.attempts, tried], nextAttemptAt });
    }
    return 'retrying';
  }

  private record(id: string, attempt: WebhookAttempt, outcome: AttemptOutcome, read: DeliveryForTry): Promise<boolean> {
    return this.records.call({ id, attempt, outcome, read });
  }

  /** Re-enqueues every pending delivery (idempotent by job id), page by page. */
  async sweep(): Promise<number> {
    let count = 0;
    try {
      await this.database.connector.whenReady();
      let after: string | undefined;
      for (;;) {
        const page: WebhookDeliveryEntity[] = await this.database.webhookDeliveries.listPending(SWEEP_PAGE, after);
        await enqueueNextAttempts(this.queue, page);
        count += page.length;
        if (page.length < SWEEP_PAGE) break;
        after = page[page.length - 1].id;
      }
      if (count > 0) this.logger.log(`webhooks: re-enqueued ${count} pending deliveries`, 'Webhooks');
    } catch (error) {
      this.logger.error(`webhooks: pending sweep failed: ${error instanceof Error ? error.message : String(error)}`, 'Webhooks');
    }
    return count;
  }

  /** Gives a new job to each long-overdue try whose job is not queued any more (see rescueAttempt). */
  async rescue(): Promise<number> {
    if (this.rescuing) return 0;
    this.rescuing = true;
    let rescued = 0;
    try {
      const stuckAfterMs = this.settings.timeoutMs + RESCUE_GRACE_MS;
      const dueBefore = new Date(Date.now() - stuckAfterMs);
      let after: WebhookDeliveryEntity | undefined;
      for (let scanned = 0; scanned < RESCUE_SCAN_LIMIT; ) {
        const page = await this.database.webhookDeliveries.listOverdue(dueBefore, RESCUE_PAGE, after);
        rescued += (await Promise.all(page.map((row) => rescueAttempt(this.queue, row, stuckAfterMs)))).filter(Boolean).length;
        scanned += page.length;
        if (page.length < RESCUE_PAGE) break;
        after = page[page.length - 1];
      }
      if (rescued > 0) this.logger.warn(`webhooks: re-enqueued ${rescued} stuck deliveries`, 'Webhooks');
    } catch (error) {
      this.logger.error(`webhooks: stuck-delivery rescue failed: ${error instanceof Error ? error.message : String(error)}`, 'Webhooks');
    } finally {
      this.rescuing = false;
    }
    return rescued;
  }
}
