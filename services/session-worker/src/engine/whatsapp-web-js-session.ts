import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Client, Message, MessageSendOptions, Reaction } from 'whatsapp-web.js';
import { chromiumProblem } from './chromium-executable';
import { EngineError, errorMessage } from './engine.errors';
import { EngineEvents } from './engine-events';
import type { EngineLogger } from './engine-logger';
import { type EngineEvent, EngineSession, type OutboundMessage, type SendLookup, type SendResult } from './engine.port';
import {
  toAckEvent,
  toDisconnectedEvent,
  toMessageEvent,
  toQrEvent,
  toReactionEvent,
  toReadyEvent,
  toRevokedEvent,
  toStateEvent,
  vcardOf,
  type WwebjsClientInfo,
  type WwebjsMessage,
  type WwebjsReaction,
} from './wwebjs-event-mapper';
import { sendFailureOf, startFailureReason, targetUnknown } from './wwebjs-failure';

export interface WhatsappWebJsSessionOptions {
  sessionId: string;
  executablePath: string;
  args: string[];
  /** LocalAuth keeps the login of this session in `<dataPath>/session-<sessionId>`. */
  dataPath: string;
  logger: EngineLogger;
  /** Called once, when the session is destroyed. */
  onDestroyed?: () => void;
  /** How long `destroy` waits for a browser that is still launching before giving up on it. */
  launchWaitMs?: number;
}

type State = 'idle' | 'starting' | 'ready' | 'failed' | 'destroyed';

const UNKNOWN_OUTCOME =
  'whatsapp-web.js cannot tag a message with our id, so a send whose result was lost cannot be recognised among the chat messages';

/** One WhatsApp Web connection through whatsapp-web.js and Chromium. */
export class WhatsappWebJsSession extends EngineSession {
  private state: State = 'idle';
  private client?: Client;
  /** False while `client.initialize()` runs: a browser may still appear, and must then be closed too. */
  private launchSettled = true;
  /** Sends this object completed: a lookup after a lost reply (same process) is exact for them. */
  private readonly sent = new Map<string, SendResult>();
  private readonly events: EngineEvents;

  constructor(private readonly options: WhatsappWebJsSessionOptions) {
    super();
    this.events = new EngineEvents((error, event) =>
      options.logger.error(`a listener of "${event.type}" threw: ${errorMessage(error)}`, options.sessionId),
    );
  }

  /** Launches Chromium and opens WhatsApp Web in the background; any failure arrives as a `failed` event, with the browser closed. */
  override async initialize(): Promise<void> {
    if (this.state === 'destroyed') throw EngineError.engineFailed(`session "${this.options.sessionId}" was destroyed`);
    if (this.state === 'starting' || this.state === 'ready') return;
    const problem = await chromiumProblem(this.options.executablePath);
    if (problem) return this.fail(problem);
    this.state = 'starting';
    const client = await this.createClient();
    this.client = client;
    this.launchSettled = false;
    void client.initialize().then(
      () => {
        this.launchSettled = true;
      },
      (error: unknown) => {
        this.launchSettled = true;
        return this.fail(startFailureReason(error, this.options.executablePath));
      },
    );
  }

  override async requestPairingCode(phone: string): Promise<string> {
    if (!this.client || this.state !== 'starting') {
      throw EngineError.engineFailed('a pairing code needs a session that is started and not yet logged in');
    }
    return this.client.requestPairingCode(phone.replace(/\D/g, ''));
  }

  override async send(message: OutboundMessage): Promise<SendResult> {
    const client = this.client;
    if (!client || this.state !== 'ready') throw EngineError.sendFailed(`session "${this.options.sessionId}" is not connected`);
    try {
      const result = await this.sendWith(client, message);
      this.sent.set(message.clientMessageId, result);
      return result;
    } catch (error) {
      throw sendFailureOf(error, message.quotedMessageId);
    }
  }

  /** Exact only for sends this object completed; otherwise WhatsApp gives us nothing to match on. */
  override async findSent(clientMessageId: string): Promise<SendLookup> {
    const result = this.sent.get(clientMessageId);
    return result ? { found: true, result } : { found: 'unknown', reason: UNKNOWN_OUTCOME };
  }

  override onEvent(listener: (event: EngineEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** Closes the browser; the login stays on disk, so the next start needs no QR. */
  override async disconnect(): Promise<void> {
    await this.closeBrowser();
    if (this.state !== 'destroyed') this.state = 'idle';
  }

  /** Logs out from WhatsApp when connected, closes the browser and deletes the stored login. */
  override async logout(): Promise<void> {
    if (this.client && this.state === 'ready') {
      await this.client.logout().catch((error: unknown) => this.options.logger.warn(`logout: ${errorMessage(error)}`, this.options.sessionId));
    }
    await this.disconnect();
    await rm(join(this.options.dataPath, `session-${this.options.sessionId}`), { recursive: true, force: true });
  }

  override async destroy(): Promise<void> {
    if (this.state === 'destroyed') return;
    this.state = 'destroyed';
    await this.closeBrowser();
    this.events.clear();
    this.options.onDestroyed?.();
  }

  private async createClient(): Promise<Client> {
    // Loaded on first use: a worker running only simulator sessions never pulls in puppeteer.
    const { Client, LocalAuth } = await import('whatsapp-web.js');
    const { sessionId, dataPath, executablePath, args } = this.options;
    const client = new Client({
      authStrategy: new LocalAuth({ clientId: sessionId, dataPath }),
      puppeteer: { executablePath, args, headless: true },
      // The fetched WhatsApp Web page is cached next to the logins, not in the working directory.
      webVersionCache: { type: 'local', path: join(dataPath, '.wwebjs_cache') },
    });
    this.wire(client);
    return client;
  }

  private wire(client: Client): void {
    const emit = (event: EngineEvent | null) => {
      if (event && this.client === client && this.state !== 'destroyed') this.events.emit(event);
    };
    client.on('qr', (qr: string) => emit(toQrEvent(qr, new Date())));
    client.on('authenticated', () => emit({ type: 'authenticated' }));
    client.on('auth_failure', (message: string) => void this.fail(`WhatsApp refused the stored login: ${message}`));
    client.on('ready', () => {
      if (this.state === 'starting') this.state = 'ready';
      emit(toReadyEvent(client.info as unknown as WwebjsClientInfo));
    });
    client.on('message', (message: Message) => {
      this.inbound(message).then(emit, (error: unknown) =>
        this.options.logger.warn(`could not map an incoming message: ${errorMessage(error)}`, this.options.sessionId),
      );
    });
    client.on('message_ack', (message: Message, ack: number) => emit(toAckEvent(message as unknown as WwebjsMessage, ack)));
    client.on('message_reaction', (reaction: Reaction) => emit(toReactionEvent(reaction as unknown as WwebjsReaction)));
    client.on('message_revoke_everyone', (after: Message, before?: Message | null) =>
      emit(toRevokedEvent(after as unknown as WwebjsMessage, before as unknown as WwebjsMessage | null)),
    );
    client.on('change_state', (state: unknown) => emit(toStateEvent(state)));
    client.on('disconnected', (reason: unknown) => {
      if (this.state === 'ready') this.state = 'idle';
      emit(toDisconnectedEvent(reason));
    });
  }

  private async inbound(message: Message): Promise<EngineEvent | null> {
    const quoted = message.hasQuotedMsg ? await message.getQuotedMessage().catch(() => undefined) : undefined;
    return toMessageEvent(message as unknown as WwebjsMessage, {
      quotedMessageId: quoted?.id._serialized,
      download: async () => {
        const media = await message.downloadMedia();
        if (!media) throw EngineError.engineFailed(`the media of message "${message.id._serialized}" is no longer available`);
        return Readable.from([Buffer.from(media.data, 'base64')]);
      },
    });
  }

  private async sendWith(client: Client, message: OutboundMessage): Promise<SendResult> {
    const { MessageMedia, Location } = await import('whatsapp-web.js');
    // ignoreQuoteErrors off: a quote WhatsApp cannot find fails the send instead of going out silently without it.
    const options: MessageSendOptions = message.quotedMessageId ? { quotedMessageId: message.quotedMessageId, ignoreQuoteErrors: false } : {};
    let sent: Message;
    switch (message.type) {
      case 'text':
      case 'reply':
        sent = await client.sendMessage(message.to, message.text ?? '', options);
        break;
      case 'image':
      case 'video':
      case 'audio':
      case 'document': {
        if (!message.media) throw EngineError.sendImpossible(`a ${message.type} message needs media`);
        const data = await readAll(await message.media.openMedia());
        const media = new MessageMedia(message.media.mimeType, data.toString('base64'), message.media.filename ?? null, data.length);
        sent = await client.sendMessage(message.to, media, {
          ...options,
          caption: message.caption,
          sendMediaAsDocument: message.type === 'document',
        });
        break;
      }
      case 'location': {
        if (!message.location) throw EngineError.sendImpossible('a location message needs a location');
        const { latitude, longitude, description } = message.location;
        sent = await client.sendMessage(message.to, new Location(latitude, longitude, { name: description }), options);
        break;
      }
      case 'contact':
        if (!message.contact) throw EngineError.sendImpossible('a contact message needs a contact');
        sent = await client.sendMessage(message.to, vcardOf(message.contact), { ...options, parseVCards: true });
        break;
      case 'reaction':
        return this.react(client, message);
    }
    return { waMessageId: sent.id._serialized, timestamp: new Date(sent.timestamp * 1000) };
  }

  /** WhatsApp gives a reaction no message id of its own: ours names the target and our message. */
  private async react(client: Client, message: OutboundMessage): Promise<SendResult> {
    if (!message.quotedMessageId) throw EngineError.sendImpossible('a reaction needs the id of the message it reacts to');
    const target = await client.getMessageById(message.quotedMessageId);
    if (!target) throw targetUnknown(message.quotedMessageId);
    await target.react(message.emoji ?? '');
    return { waMessageId: `reaction:${message.quotedMessageId}:${message.clientMessageId}`, timestamp: new Date() };
  }

  private async fail(reason: string): Promise<void> {
    if (this.state === 'destroyed' || this.state === 'failed') return;
    this.state = 'failed';
    this.options.logger.warn(reason, this.options.sessionId);
    await this.closeBrowser();
    this.events.emit({ type: 'failed', reason });
  }

  /** Closes the browser, waiting (bounded) for one that is still launching so it cannot be left behind. */
  private async closeBrowser(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const deadline = Date.now() + (this.options.launchWaitMs ?? 30_000);
    while (!client.pupBrowser && !this.launchSettled && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.client = undefined;
    const browser = client.pupBrowser;
    try {
      await browser?.close();
    } catch (error) {
      this.options.logger.warn(`closing Chromium: ${errorMessage(error)}`, this.options.sessionId);
      browser?.process()?.kill('SIGKILL');
    }
    client.removeAllListeners();
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
