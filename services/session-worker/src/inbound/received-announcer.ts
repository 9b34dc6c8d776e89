import { MessageReceivedEventSchema } from '@plugboard/contracts';
import { type AnnouncementCursor, type MessageAnnouncementRepository, type MessageEntity, toMessageView } from '@plugboard/database';
import type { BusPort } from '@plugboard/messaging';
import type { ServiceLogger } from '@plugboard/service-kit';
import { derivedEventId, publishSessionEvent } from '../sessions/session-events';
import { describeError } from './inbound-media';
import type { SerialChains } from './serial-chains';

export interface ReceivedAnnouncerOptions {
  /** The recorder's chains by session: catch-up pages queue with new messages, so order is kept. */
  chains: SerialChains;
  announcements: MessageAnnouncementRepository;
  bus: BusPort;
  logger: ServiceLogger;
  /** Rows published per catch-up page (one chain task). */
  pageSize: number;
  /** First and longest pause before a catch-up pass retries after the bus refused a publish. */
  retryFirstMs: number;
  retryMaxMs: number;
}

interface Ownership {
  /** The lease `adopted` was told about: a pass of an older one stops. */
  lease: unknown;
  retry?: NodeJS.Timeout;
  retryMs: number;
}

/**
 * Publishes `message.received` for stored messages at least once: each under an id derived
 * from the message id (so a repeat is de-duplicated by JetStream and by consumers), then
 * records it on the row. What a crash or a bus failure left unannounced is published by a
 * catch-up pass when this worker adopts the session, and again after a refused publish.
 */
export class ReceivedAnnouncer {
  private readonly owned = new Map<string, Ownership>();
  private closed = false;

  constructor(private readonly options: ReceivedAnnouncerOptions) {}

  /** Publishes then marks `row`; false when the bus refused (the row stays owed, a pass retries it). */
  async announce(row: MessageEntity): Promise<boolean> {
    const { bus, logger, announcements } = this.options;
    const data = MessageReceivedEventSchema.parse({ message: toMessageView(row) });
    try {
      await publishSessionEvent(bus, row.sessionId, 'message.received', data, derivedEventId('message.received', row.id));
    } catch (error) {
      logger.warn(`message.received of message ${row.id} of session ${row.sessionId} not published: ${describeError(error)}`, 'InboundRecorder');
      this.retryLater(row.sessionId);
      return false;
    }
    await announcements.markAnnounced(row.id).catch((error: unknown) => {
      // Published but not marked: a later pass publishes it again under the same id, which is de-duplicated.
      logger.warn(`message ${row.id} published but not marked announced: ${describeError(error)}`, 'InboundRecorder');
    });
    return true;
  }

  /** This worker now owns the session: publish what earlier owners left owed, off the adoption path. */
  adopted(sessionId: string, lease: unknown): void {
    clearTimeout(this.owned.get(sessionId)?.retry);
    this.owned.set(sessionId, { lease, retryMs: this.options.retryFirstMs });
    this.queuePage(sessionId, lease);
  }

  ended(sessionId: string, lease: unknown): void {
    const ownership = this.owned.get(sessionId);
    if (!ownership || ownership.lease !== lease) return;
    clearTimeout(ownership.retry);
    this.owned.delete(sessionId);
  }

  close(): void {
    this.closed = true;
    for (const ownership of this.owned.values()) clearTimeout(ownership.retry);
    this.owned.clear();
  }

  private queuePage(sessionId: string, lease: unknown, after?: AnnouncementCursor): void {
    this.options.chains.run(sessionId, () => this.page(sessionId, lease, after)).catch((error: unknown) => {
      this.options.logger.warn(`owed message.received events of session ${sessionId} not read: ${describeError(error)}`, 'InboundRecorder');
      this.retryLater(sessionId);
    });
  }

  /** One page of owed rows, oldest first; the next page queues behind the messages that came meanwhile. */
  private async page(sessionId: string, lease: unknown, after?: AnnouncementCursor): Promise<void> {
    const ownership = this.owned.get(sessionId);
    if (this.closed || !ownership || ownership.lease !== lease) return;
    const { pageSize } = this.options;
    const rows = await this.options.announcements.listUnannounced(sessionId, { limit: pageSize, after });
    for (const row of rows) {
      if (!(await this.announce(row))) return; // the bus refused: retryLater runs the pass again
    }
    const last = rows.at(-1);
    if (last && rows.length === pageSize) this.queuePage(sessionId, lease, { createdAt: last.createdAt, id: last.id });
    else ownership.retryMs = this.options.retryFirstMs;
  }

  /** A whole pass again after a pause (doubling up to retryMaxMs), once at a time per session. */
  private retryLater(sessionId: string): void {
    const ownership = this.owned.get(sessionId);
    if (this.closed || !ownership || ownership.retry) return;
    ownership.retry = setTimeout(() => {
      ownership.retry = undefined;
      this.queuePage(sessionId, ownership.lease);
    }, ownership.retryMs);
    ownership.retry.unref();
    ownership.retryMs = Math.min(ownership.retryMs * 2, this.options.retryMaxMs);
  }
}
