import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { SimulatorInboundRequest } from '@plugboard/contracts';
import {
  SIMULATOR_ACKS,
  type SimulatorAck,
  type SimulatorDeviceEntity,
  type SimulatorMessageEntity,
  type SimulatorRepository,
} from '@plugboard/database';
import { EngineError, errorMessage } from './engine.errors';
import { EngineEvents } from './engine-events';
import type { EngineLogger } from './engine-logger';
import {
  type EngineEvent,
  EngineSession,
  type InboundMessage,
  type OutboundMessage,
  type SendLookup,
  type SendResult,
} from './engine.port';
import { SIMULATOR_LABEL, SIMULATOR_PUSH_NAME, simulatorMessageId, simulatorPhone, simulatorQr, userChatId } from './simulator-identity';

export interface SimulatorTiming {
  qrRotateMs: number;
  /** 0: pairing only through `pair()`. */
  autoPairMs: number;
  ackDelayMs: number;
}

/** A message delivered by the simulated WhatsApp, as the admin call describes it. */
export type SimulatorInbound = Omit<SimulatorInboundRequest, 'sessionId'>;

type State = 'idle' | 'qr' | 'ready' | 'destroyed';

/**
 * One simulated WhatsApp connection. Everything the phone side knows (pairing, messages,
 * acks, pending faults) is read from and written to the database, so another instance on the
 * same database continues where this one stopped; only timers live here.
 */
export class SimulatorSession extends EngineSession {
  private state: State = 'idle';
  private qrCount = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly events: EngineEvents;

  constructor(
    readonly sessionId: string,
    private readonly repository: SimulatorRepository,
    private readonly timing: SimulatorTiming,
    private readonly logger: EngineLogger,
    private readonly onDestroyed: () => void,
  ) {
    super();
    this.events = new EngineEvents((error, event) =>
      logger.error(`${SIMULATOR_LABEL}: a listener of "${event.type}" threw: ${errorMessage(error)}`, sessionId),
    );
  }

  /** Paired phone: authenticated and ready at once; otherwise rotating QR codes until paired. */
  override async initialize(): Promise<void> {
    this.assertAlive();
    if (this.state === 'qr' || this.state === 'ready') return;
    this.logger.log(`starting session on the ${SIMULATOR_LABEL}`, this.sessionId);
    const device = await this.repository.getDevice(this.sessionId);
    if (this.state === 'destroyed') return;
    if (device?.paired) return this.becomeReady(device);
    this.state = 'qr';
    this.showNextQr();
    if (this.timing.autoPairMs > 0) {
      this.later(this.timing.autoPairMs, async () => {
        if (this.state === 'qr') this.paired(await this.repository.pair(this.sessionId, simulatorPhone(this.sessionId), SIMULATOR_PUSH_NAME));
      });
    }
  }

  /** The simulator pairs through `pair()` or auto-pairing; the code only looks like WhatsApp's. */
  override async requestPairingCode(phone: string): Promise<string> {
    this.assertAlive();
    return createHash('sha256').update(`${this.sessionId}:${phone}`).digest('hex').slice(0, 8).toUpperCase();
  }

  /**
   * Records the send in the simulated WhatsApp (once per clientMessageId: a resend answers
   * with the first result and consumes no injected fault), then acks it on schedule.
   */
  override async send(message: OutboundMessage): Promise<SendResult> {
    this.assertAlive();
    if (this.state !== 'ready') throw EngineError.sendFailed(`session "${this.sessionId}" is not connected`);
    if (message.quotedMessageId && !(await this.knows(message.quotedMessageId))) {
      // As WhatsApp does: a quote or a reaction needs a message it has.
      throw EngineError.sendImpossible(`the simulated WhatsApp does not know message "${message.quotedMessageId}" (the one quoted or reacted to)`);
    }
    const media = message.media ? await readMedia(message.media) : undefined;
    const accepted = await this.repository.acceptSend({
      sessionId: this.sessionId,
      clientMessageId: message.clientMessageId,
      waMessageId: simulatorMessageId(),
      chatId: message.to,
      type: message.type,
      body: message.text ?? message.caption ?? message.emoji ?? null,
      payload: outboundPayload(message, media),
    });
    if (accepted === 'failed') throw EngineError.sendFailed('simulated send failure (injected fault)', { injected: true });
    const { message: row, created } = accepted;
    if (created) this.scheduleAcks(row.waMessageId, 0);
    return resultOf(row);
  }

  /** Exact: the simulated WhatsApp has a row for every send it accepted. */
  override async findSent(clientMessageId: string): Promise<SendLookup> {
    const row = await this.repository.findSend(this.sessionId, clientMessageId);
    return row ? { found: true, result: resultOf(row) } : { found: false };
  }

  override onEvent(listener: (event: EngineEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** Stops the connection; the pairing stays, so the next `initialize` is ready at once. Emits nothing: the caller knows. */
  override async disconnect(): Promise<void> {
    this.stopTimers();
    if (this.state !== 'destroyed') this.state = 'idle';
  }

  /** Unpairs the simulated phone: the next `initialize` shows QR codes again. */
  override async logout(): Promise<void> {
    await this.disconnect();
    await this.repository.unpair(this.sessionId);
  }

  override async destroy(): Promise<void> {
    if (this.state === 'destroyed') return;
    this.stopTimers();
    this.state = 'destroyed';
    this.events.clear();
    this.onDestroyed();
  }

  /** The phone was paired (here or by another instance): a session showing QR codes goes ready. */
  paired(device: SimulatorDeviceEntity): void {
    if (this.state === 'qr' && device.paired) this.becomeReady(device);
  }

  /** Delivers a message as if a contact had sent it; emits `message`. */
  async deliver(input: SimulatorInbound): Promise<string> {
    if (this.state !== 'ready') throw EngineError.engineFailed(`session "${this.sessionId}" is not connected`);
    const device = await this.repository.getDevice(this.sessionId);
    const to = userChatId(device?.phone ?? simulatorPhone(this.sessionId));
    const media = input.media ? { ...input.media, size: Buffer.byteLength(input.media.dataBase64, 'base64') } : undefined;
    const row = await this.repository.recordInbound({
      sessionId: this.sessionId,
      waMessageId: simulatorMessageId(),
      chatId: input.chatId ?? input.from,
      type: input.type,
      body: input.body ?? null,
      payload: { from: input.from, to, media, location: input.location, quotedMessageId: input.quotedMessageId },
    });
    this.events.emit({ type: 'message', message: this.inboundOf(row, input, to) });
    return row.waMessageId;
  }

  /** Injected fault: the connection drops, as a phone losing the network would. */
  dropConnection(): void {
    if (this.state === 'destroyed') return;
    this.stopTimers();
    this.state = 'idle';
    this.events.emit({ type: 'disconnected', reason: 'simulated disconnect (injected fault)' });
  }

  private inboundOf(row: SimulatorMessageEntity, input: SimulatorInbound, to: string): InboundMessage {
    const message: InboundMessage = {
      waMessageId: row.waMessageId,
      chatId: row.chatId,
      from: input.from,
      to,
      type: input.type,
      body: input.body,
      timestamp: row.createdAt,
      location: input.location,
      quotedMessageId: input.quotedMessageId,
    };
    if (input.media) {
      message.media = {
        mimeType: input.media.mimeType,
        filename: input.media.filename,
        size: Buffer.byteLength(input.media.dataBase64, 'base64'),
        download: () => this.download(row.waMessageId),
      };
    }
    return message;
  }

  /** Whether this session's simulated WhatsApp has the message (sent or delivered). */
  private async knows(waMessageId: string): Promise<boolean> {
    const row = await this.repository.findByWaMessageId(waMessageId);
    return row?.sessionId === this.sessionId;
  }

  /** Reads the bytes from the database, so any instance can serve them. */
  private async download(waMessageId: string): Promise<NodeJS.ReadableStream> {
    const row = await this.repository.findByWaMessageId(waMessageId);
    const media = row?.payload.media as { dataBase64?: string } | undefined;
    if (!media?.dataBase64) throw EngineError.engineFailed(`message "${waMessageId}" has no media`);
    return Readable.from([Buffer.from(media.dataBase64, 'base64')]);
  }

  private becomeReady(device: SimulatorDeviceEntity): void {
    this.stopTimers();
    this.state = 'ready';
    this.events.emit({ type: 'authenticated' });
    this.events.emit({ type: 'ready', phone: device.phone ?? simulatorPhone(this.sessionId), pushName: device.pushName ?? SIMULATOR_PUSH_NAME });
    // Acks that were due while no instance ran this session arrive now, in order.
    this.later(0, async () => {
      for (const row of await this.repository.listUnread(this.sessionId)) {
        this.scheduleAcks(row.waMessageId, row.ack ? SIMULATOR_ACKS.indexOf(row.ack) + 1 : 0);
      }
    });
  }

  private showNextQr(): void {
    this.qrCount += 1;
    const expiresAt = new Date(Date.now() + this.timing.qrRotateMs);
    this.events.emit({ type: 'qr', qr: simulatorQr(this.sessionId, this.qrCount), expiresAt });
    this.later(this.timing.qrRotateMs, async () => {
      if (this.state !== 'qr') return;
      // Another instance may have paired the phone: check before showing a new code.
      const device = await this.repository.getDevice(this.sessionId);
      if (device?.paired) this.paired(device);
      else if (this.state === 'qr') this.showNextQr();
    });
  }

  /** Acks `waMessageId` step by step from `SIMULATOR_ACKS[from]`, one step per delay. */
  private scheduleAcks(waMessageId: string, from: number): void {
    const ack: SimulatorAck | undefined = SIMULATOR_ACKS[from];
    if (!ack) return;
    this.later(this.timing.ackDelayMs, async () => {
      if (this.state !== 'ready') return;
      if (await this.repository.advanceAck(waMessageId, ack)) this.events.emit({ type: 'message_ack', waMessageId, ack });
      this.scheduleAcks(waMessageId, from + 1);
    });
  }

  /** Runs `task` after `ms` unless the session stops first; failures are logged, never thrown into the timer. */
  private later(ms: number, task: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task().catch((error: unknown) => this.logger.warn(`${SIMULATOR_LABEL}: ${errorMessage(error)}`, this.sessionId));
    }, ms);
    this.timers.add(timer);
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private assertAlive(): void {
    if (this.state === 'destroyed') throw EngineError.engineFailed(`session "${this.sessionId}" was destroyed`);
  }
}

function resultOf(row: SimulatorMessageEntity): SendResult {
  return { waMessageId: row.waMessageId, timestamp: row.createdAt };
}

interface MediaDigest {
  bytes: number;
  sha256: string;
}

/** The simulated WhatsApp takes the bytes like the real one would, and keeps only their size and digest. */
async function readMedia(media: NonNullable<OutboundMessage['media']>): Promise<MediaDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await media.openMedia()) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    hash.update(buffer);
    bytes += buffer.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

function outboundPayload(message: OutboundMessage, digest: MediaDigest | undefined): Record<string, unknown> {
  const media = message.media
    ? { mediaId: message.media.mediaId, mimeType: message.media.mimeType, filename: message.media.filename, ...digest }
    : undefined;
  const payload: Record<string, unknown> = {
    to: message.to,
    caption: message.caption,
    media,
    location: message.location,
    contact: message.contact,
    quotedMessageId: message.quotedMessageId,
    emoji: message.emoji,
  };
  // JSON columns drop undefined anyway; dropping it here keeps the stored payload honest.
  return Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined));
}
