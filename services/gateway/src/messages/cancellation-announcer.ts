import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_ENVELOPE_VERSION, type EventEnvelope, MessageFailedEventSchema } from '@plugboard/contracts';
import { BATCH_CANCELLED, type CancellationScope, Database, type MessageEntity, sendTries } from '@plugboard/database';
import { BusPort } from '@plugboard/messaging';
import { ServiceLogger, nameBasedUuid } from '@plugboard/service-kit';

/** Rows per page: one read, their publishes at once, one write of the marks. */
const PAGE = 500;
/** How far back a boot looks for cancels whose events were left owed. */
const CATCH_UP_HORIZON_MS = 24 * 60 * 60 * 1000;
// Fixed namespace of the derived event ids: changing it would give every past cancellation event a new id.
const EVENT_ID_NAMESPACE = Buffer.from('3b8e5f0a6c2d4f7e9a1b0c4d8e2f6a5b', 'hex');

/**
 * Publishes the final `message.failed` of every message a batch cancel failed, at least once,
 * the way the session-worker announces received messages: under an id derived from the message
 * id (a repeat is de-duplicated by JetStream and by consumers), then marked on the row. What a
 * crash or a bus failure left owed goes out on the next cancel of the batch, and on the next
 * boot of a gateway for batches cancelled within a day.
 */
@Injectable()
export class CancellationAnnouncer implements OnApplicationBootstrap, OnApplicationShutdown {
  /** The boot's catch-up once it publishes: a shutdown waits for it (not for a database that never came). */
  private catchingUp?: Promise<number>;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly bus: BusPort,
    private readonly logger: ServiceLogger,
  ) {}

  /** In the background: the boot does not wait for the database or the bus. */
  onApplicationBootstrap(): void {
    void this.catchUp();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.catchingUp;
  }

  /** Publishes the owed events of one batch; how many. Never rejects: an event not published stays owed. */
  announce(batchId: string): Promise<number> {
    return this.publishOwed({ batchId });
  }

  /** Publishes what earlier cancels left owed; how many. Never rejects. */
  async catchUp(now = Date.now()): Promise<number> {
    try {
      await Promise.all([this.database.connector.whenReady(), this.bus.connect()]);
    } catch (error) {
      this.warn('owed message.failed events of cancelled batches not read', error);
      return 0;
    }
    if (this.stopped) return 0;
    this.catchingUp = this.publishOwed({ cancelledSince: new Date(now - CATCH_UP_HORIZON_MS) });
    return this.catchingUp;
  }

  private async publishOwed(scope: CancellationScope): Promise<number> {
    let published = 0;
    try {
      while (!this.stopped) {
        const rows = await this.database.batches.listUnannouncedCancellations(scope, PAGE);
        const outcomes = await Promise.allSettled(rows.map((row) => this.bus.publishEvent(cancelledEvent(row))));
        const done = rows.filter((_, i) => outcomes[i].status === 'fulfilled').map((row) => row.id);
        // Published but not marked (this write fails): the next pass publishes them again under the same ids.
        await this.database.batches.markCancellationsAnnounced(done);
        published += done.length;
        const refused = outcomes.find((outcome) => outcome.status === 'rejected');
        if (refused) {
          this.warn(`${rows.length - done.length} message.failed event(s) of cancelled messages not published`, refused.reason);
          break;
        }
        if (rows.length < PAGE) break;
      }
    } catch (error) {
      this.warn('owed message.failed events of cancelled batches not published', error);
    }
    return published;
  }

  private warn(what: string, error: unknown): void {
    this.logger.warn(`${what}: ${error instanceof Error ? error.message : String(error)}`, 'Messages');
  }
}

/** The event a cancelled message gets: the session-worker's final failure, with the cancel as its reason. */
export function cancelledEvent(row: MessageEntity): EventEnvelope {
  const data = MessageFailedEventSchema.parse({
    messageId: row.id,
    chatId: row.chatId,
    batchId: row.batchId ?? null,
    reason: row.failureReason ?? BATCH_CANCELLED,
    // The tries the row shows: the worker counts its own in memory only.
    attempts: sendTries(row),
    final: true,
  });
  // `failed` is final, so its step is the last of the timeline.
  const failedAt = row.timeline.at(-1)?.at ?? row.updatedAt.toISOString();
  return { id: cancelledEventId(row.id), type: 'message.failed', version: EVENT_ENVELOPE_VERSION, sessionId: row.sessionId, occurredAt: failedAt, data };
}

/** The same id at every publish, on every gateway. */
export function cancelledEventId(messageId: string): string {
  return nameBasedUuid(EVENT_ID_NAMESPACE, messageId);
}
