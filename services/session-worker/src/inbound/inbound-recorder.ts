import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import {
  type EventType,
  MediaStreams,
  MessageAckEventSchema,
  MessageFailedEventSchema,
  MessageReactedEventSchema,
  MessageRevokedEventSchema,
} from '@plugboard/contracts';
import { MessageAnnouncementRepository, type MessageEntity, MessageRepository, sendTries } from '@plugboard/database';
import { BusPort } from '@plugboard/messaging';
import { MetricsService, ServiceLogger } from '@plugboard/service-kit';
import type { z } from 'zod';
import type { EngineEvent, InboundMessage, InboundReaction } from '../engine/engine.port';
import { SEND_METRICS } from '../sending/send.metrics';
import { SendsInFlight } from '../sessions/sends-in-flight';
import { publishSessionEvent } from '../sessions/session-events';
import { type OwnershipListener, SessionSupervisor } from '../sessions/session-supervisor';
import { describeError, inboundMediaId, uploadInboundMedia } from './inbound-media';
import { INBOUND_METRICS } from './inbound.metrics';
import { ReceivedAnnouncer } from './received-announcer';
import { SerialChains } from './serial-chains';

export interface InboundSettings {
  /** How long an ack waits for the send loop to write its message's WhatsApp id. */
  ackWaitMs: number;
  /** Longest pause between two lookups of that id (the first is short, then doubling). */
  ackRetryMaxMs: number;
  /** Download from the engine plus upload to the media-service, per file. */
  mediaTimeoutMs: number;
  /** Tries to store a received message while the database fails, before it is given up (and logged). */
  storeAttempts: number;
  /** Owed `message.received` events published per catch-up page, between new messages. */
  announcePageSize: number;
  /** First and longest pause before owed events are tried again after the bus refused one. */
  announceRetryMs: number;
  announceRetryMaxMs: number;
}

/** Optional overrides of `DEFAULT_INBOUND_SETTINGS` (tests). */
export const INBOUND_SETTINGS = Symbol('INBOUND_SETTINGS');

export const DEFAULT_INBOUND_SETTINGS: InboundSettings = {
  ackWaitMs: 5_000,
  ackRetryMaxMs: 500,
  mediaTimeoutMs: 120_000,
  storeAttempts: 5,
  announcePageSize: 100,
  announceRetryMs: 1_000,
  announceRetryMaxMs: 60_000,
};

const FIRST_RETRY_MS = 20;
const STORE_RETRY_MS = 200;
/** The events handled in order per session. */
type SessionEvent = Extract<EngineEvent, { type: 'message' | 'message_revoked' | 'message_reaction' }>;
/** The events handled in order per message: they move one outgoing row. */
type AckEvent = Extract<EngineEvent, { type: 'message_ack' | 'message_refused' }>;
/** What moving an outgoing row by WhatsApp id did; `ignored`: repeated, or older than what the row says. */
type MoveOutcome = 'applied' | 'not_found' | 'ignored';

/**
 * Turns the engine's message events of owned sessions into rows and events: received messages
 * (with their media streamed into the media-service), acks, refusals, revokes and reactions;
 * received messages of kinds we do not carry are logged and counted. Received messages,
 * revokes and reactions of one session are handled in order, sessions concurrently. Acks (and
 * refusals) are handled in order per message, messages concurrently: an ack touches only its
 * own row, and a session sending hundreds of messages a second gets two or three acks for each,
 * more than could be recorded one after another; concurrent acks share one UPDATE per tick (see
 * MessageRepository.transition). Redelivered events change nothing and publish nothing twice,
 * except a received message whose event was never published (see ReceivedAnnouncer).
 */
@Injectable()
export class InboundRecorder implements OnModuleInit, BeforeApplicationShutdown {
  private readonly settings: InboundSettings;
  private readonly sessions = new SerialChains();
  /** Acks, in order per message (keyed by session and WhatsApp id). */
  private readonly acks = new SerialChains();
  private closing = false;
  private readonly announcer: ReceivedAnnouncer;
  private readonly listener = (sessionId: string, event: EngineEvent) => this.accept(sessionId, event);
  private readonly ownership: OwnershipListener = {
    adopted: (sessionId, runner) => this.announcer.adopted(sessionId, runner),
    ended: async (sessionId, runner) => this.announcer.ended(sessionId, runner),
  };

  constructor(
    private readonly supervisor: SessionSupervisor,
    private readonly messages: MessageRepository,
    announcements: MessageAnnouncementRepository,
    private readonly sendsInFlight: SendsInFlight,
    private readonly media: MediaStreams,
    private readonly bus: BusPort,
    private readonly logger: ServiceLogger,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(INBOUND_SETTINGS) settings?: Partial<InboundSettings>,
  ) {
    this.settings = { ...DEFAULT_INBOUND_SETTINGS, ...settings };
    this.announcer = new ReceivedAnnouncer({
      chains: this.sessions,
      announcements,
      bus,
      logger,
      pageSize: this.settings.announcePageSize,
      retryFirstMs: this.settings.announceRetryMs,
      retryMaxMs: this.settings.announceRetryMaxMs,
    });
  }

  onModuleInit(): void {
    // Created now, so /metrics shows the series before the first one.
    this.metrics.counter(INBOUND_METRICS.unsupported);
    this.supervisor.engineListeners.add(this.listener);
    this.supervisor.ownershipListeners.add(this.ownership);
  }

  /** After the supervisor has drained (onModuleDestroy): its last events are still recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.supervisor.engineListeners.delete(this.listener);
    this.supervisor.ownershipListeners.delete(this.ownership);
    this.closing = true;
    this.announcer.close();
    await this.idle();
  }

  /** Queues one engine event behind the earlier events of its message (an ack, a refusal) or of its session (the rest). */
  accept(sessionId: string, event: EngineEvent): void {
    let handled: Promise<void>;
    switch (event.type) {
      case 'message_ack':
      case 'message_refused':
        handled = this.acks.run(`${sessionId}\n${event.waMessageId}`, () => this.moveOutgoing(sessionId, event));
        break;
      case 'message':
      case 'message_revoked':
      case 'message_reaction':
        handled = this.sessions.run(sessionId, () => this.handle(sessionId, event));
        break;
      case 'message_unsupported':
        return this.unsupported(sessionId, event.kind, event.waMessageId);
      default:
        return;
    }
    handled.catch((error) => {
      this.logger.error(`${event.type} of session ${sessionId} not recorded: ${describeError(error)}`, 'InboundRecorder');
    });
  }

  /** Resolves when every queued event has been handled (tests, shutdown). */
  async idle(): Promise<void> {
    do {
      await this.sessions.idle();
      await this.acks.idle();
    } while (this.sessions.busy || this.acks.busy);
  }

  private handle(sessionId: string, event: SessionEvent): Promise<void> {
    switch (event.type) {
      case 'message':
        return this.received(sessionId, event.message);
      case 'message_revoked':
        return this.revoked(sessionId, event.waMessageId, event.chatId);
      case 'message_reaction':
        return this.reacted(sessionId, event.reaction);
    }
  }

  private moveOutgoing(sessionId: string, event: AckEvent): Promise<void> {
    if (event.type === 'message_ack') return this.ack(sessionId, event.waMessageId, event.ack);
    return this.movePerhapsOvertaken(sessionId, event.waMessageId, 'refusal', () => this.applyRefusal(sessionId, event.waMessageId, event.reason));
  }

  /** No generic type in the contract to store it under (see toMessageEvent): seen in the log and in a metric, by kind. */
  private unsupported(sessionId: string, kind: string, waMessageId: string): void {
    this.logger.debug(`session ${sessionId} received message ${waMessageId} of kind "${kind}", which Plugboard does not carry: not stored`, 'InboundRecorder');
    this.metrics.counter(INBOUND_METRICS.unsupported).inc({ kind });
  }

  /** Stores the message once, its media next, then publishes `message.received` and records that it did. */
  private async received(sessionId: string, message: InboundMessage): Promise<void> {
    const { message: row, created } = await this.store(sessionId, message);
    if (!created && row.announcedAt) return; // redelivered: recorded and published the first time
    // New, or stored by a run that stopped before publishing it: finish what is missing.
    const stored = message.media && !row.mediaId ? await this.attachMedia(row, message.media) : row;
    await this.announcer.announce(stored);
  }

  private async store(sessionId: string, message: InboundMessage) {
    const input = {
      sessionId,
      waMessageId: message.waMessageId,
      chatId: message.chatId,
      from: message.from,
      to: message.to,
      type: message.type,
      body: message.body ?? null,
      payload: inboundPayload(message),
      at: message.timestamp,
    };
    // A database hiccup must not lose a message WhatsApp will not deliver again: retry a while.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.messages.recordIncoming(input);
      } catch (error) {
        if (attempt >= this.settings.storeAttempts || this.closing) throw error;
        this.logger.warn(`storing message ${message.waMessageId} of session ${sessionId} failed (try ${attempt}): ${describeError(error)}`, 'InboundRecorder');
        await sleep(STORE_RETRY_MS * 2 ** (attempt - 1));
      }
    }
  }

  /**
   * The stored row with its mediaId, or with `payload.mediaError` when the file could not be
   * stored. The file's id comes from the message's: a redelivered message whose file a run
   * before stored (and stopped before the row said so) gets that file, not a second one.
   */
  private async attachMedia(row: MessageEntity, media: NonNullable<InboundMessage['media']>): Promise<MessageEntity> {
    try {
      const record = await uploadInboundMedia(
        this.media,
        media,
        { id: inboundMediaId(row.id), sessionId: row.sessionId, messageId: row.id },
        { maxBytes: this.config.MEDIA_MAX_BYTES, timeoutMs: this.settings.mediaTimeoutMs },
      );
      return (await this.messages.attachMedia(row.id, record.id)) ?? Object.assign(row, { mediaId: record.id });
    } catch (error) {
      const mediaError = describeError(error);
      this.logger.warn(`media of message ${row.waMessageId} of session ${row.sessionId} not stored: ${mediaError}`, 'InboundRecorder');
      const updated = await this.messages.mergePayload(row.id, { mediaError }).catch((writeError: unknown) => {
        this.logger.warn(`could not note the media error on message ${row.id}: ${describeError(writeError)}`, 'InboundRecorder');
        return null;
      });
      return updated ?? Object.assign(row, { payload: { ...row.payload, mediaError } });
    }
  }

  /** Moves an outgoing message forward on a `delivered`/`read` ack (see movePerhapsOvertaken). */
  private async ack(sessionId: string, waMessageId: string, ack: 'sent' | 'delivered' | 'read'): Promise<void> {
    if (ack === 'sent') return this.sentAck(sessionId, waMessageId);
    return this.movePerhapsOvertaken(sessionId, waMessageId, `ack "${ack}"`, () => this.applyAck(sessionId, waMessageId, ack));
  }

  /**
   * Moves the outgoing row WhatsApp knows as `waMessageId` (an ack, a refusal). The send loop
   * writes the WhatsApp id with `sent` after the engine call returns, so the event can come
   * first: then it waits for the row, and later events of the same message queue behind it. It
   * waits only when a send of the session was in flight: otherwise the message was sent from
   * the phone, and no row of ours will ever carry its id.
   */
  private async movePerhapsOvertaken(sessionId: string, waMessageId: string, what: string, move: () => Promise<MoveOutcome>): Promise<void> {
    // Asked before the lookup: a send that ends in between has written its WhatsApp id by then.
    const mayBeOvertaken = this.sendsInFlight.any(sessionId);
    // The common case is one UPDATE by WhatsApp id; only an event that finds no row yet waits.
    if ((await move()) !== 'not_found' || !mayBeOvertaken) return;
    if (await this.waitForRow(sessionId, waMessageId, what)) await move();
  }

  // The send loop writes `sent` itself: a `sent` ack only moves a row still `sending`, and is not published.
  private async sentAck(sessionId: string, waMessageId: string): Promise<void> {
    await this.messages.transitionByWaMessageId(sessionId, waMessageId, 'sent');
  }

  /** Moves the row and publishes the ack; `not_found` when no row has that WhatsApp id (yet). */
  private async applyAck(sessionId: string, waMessageId: string, ack: 'delivered' | 'read'): Promise<MoveOutcome> {
    const at = new Date();
    const result = await this.messages.transitionByWaMessageId(sessionId, waMessageId, ack, { at });
    if (!result.applied) return result.reason === 'not_found' ? 'not_found' : 'ignored'; // repeated, or older than what the row says
    await this.publish(sessionId, 'message.ack', MessageAckEventSchema, {
      messageId: result.message.id,
      waMessageId,
      chatId: result.message.chatId,
      ack,
      at: at.toISOString(),
    });
    return 'applied';
  }

  /** WhatsApp refused a message after taking it: the row fails for good, as a send failure does (`message.failed`, final). */
  private async applyRefusal(sessionId: string, waMessageId: string, reason: string): Promise<MoveOutcome> {
    const result = await this.messages.markRefused(sessionId, waMessageId, reason);
    if (!result.applied) return result.reason === 'not_found' ? 'not_found' : 'ignored'; // repeated, or past `sent` already
    const row = result.message;
    this.metrics.counter(SEND_METRICS.failures).inc();
    await this.publish(sessionId, 'message.failed', MessageFailedEventSchema, {
      messageId: row.id,
      chatId: row.chatId,
      batchId: row.batchId ?? null,
      reason,
      // WhatsApp took it, so it was tried at least once.
      attempts: Math.max(1, sendTries(row)),
      final: true,
    });
    return 'applied';
  }

  private async waitForRow(sessionId: string, waMessageId: string, what: string): Promise<MessageEntity | null> {
    const deadline = Date.now() + this.settings.ackWaitMs;
    let pause = FIRST_RETRY_MS;
    for (;;) {
      const row = await this.messages.findByWaMessageId(sessionId, waMessageId);
      if (row) return row;
      if (Date.now() >= deadline || this.closing) break;
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(pause * 2, this.settings.ackRetryMaxMs);
    }
    this.logger.warn(
      `${what} for message ${waMessageId} of session ${sessionId} dropped: no message has that WhatsApp id` +
        (this.closing ? ' (shutting down)' : ` after ${this.settings.ackWaitMs} ms`),
      'InboundRecorder',
    );
    return null;
  }

  /** Marks the message revoked and publishes it; an unknown message is published too, with messageId null. */
  private async revoked(sessionId: string, waMessageId: string, chatId: string): Promise<void> {
    const at = new Date();
    const { message, changed } = await this.messages.markRevoked(sessionId, waMessageId, at);
    if (message && !changed) return; // already revoked: published the first time
    await this.publish(sessionId, 'message.revoked', MessageRevokedEventSchema, {
      messageId: message?.id ?? null,
      waMessageId,
      chatId: message?.chatId ?? chatId,
      at: (message?.revokedAt ?? at).toISOString(),
    });
  }

  /** Publishes someone's reaction, with our id of the reacted message when it is stored here. */
  private async reacted(sessionId: string, reaction: InboundReaction): Promise<void> {
    const message = await this.messages.findByWaMessageId(sessionId, reaction.waMessageId);
    await this.publish(sessionId, 'message.reacted', MessageReactedEventSchema, {
      messageId: message?.id ?? null,
      waMessageId: reaction.waMessageId,
      chatId: message?.chatId ?? reaction.chatId,
      from: reaction.from,
      emoji: reaction.emoji,
      at: reaction.timestamp.toISOString(),
    });
  }

  /** Checks the data against its contract, then publishes; a bus failure is logged (the row is already right). */
  private async publish<S extends z.ZodType<Record<string, unknown>>>(sessionId: string, type: EventType, schema: S, data: z.input<S>): Promise<void> {
    const checked = schema.parse(data);
    try {
      await publishSessionEvent(this.bus, sessionId, type, checked);
    } catch (error) {
      this.logger.warn(`${type} of session ${sessionId} not published: ${describeError(error)}`, 'InboundRecorder');
    }
  }
}

/** What the columns do not hold: location, quoted message, the file's description. */
function inboundPayload(message: InboundMessage): Record<string, unknown> {
  const media = message.media
    ? { mimeType: message.media.mimeType, filename: message.media.filename, size: message.media.size }
    : undefined;
  const payload = { location: message.location, quotedMessageId: message.quotedMessageId, media };
  // The JSON column would drop undefined fields anyway; dropping them here keeps the event the same as the row.
  return JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
