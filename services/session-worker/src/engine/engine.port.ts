import type { SocketHealth } from '@plugboard/contracts';

/** The engines a session can run on; also choosable per session. */
export const ENGINE_NAMES = ['whatsapp-web.js', 'simulator'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'document', 'location', 'contact', 'reply', 'reaction'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export type AckLevel = 'sent' | 'delivered' | 'read';

/** A message to send, already validated by the gateway. */
export interface OutboundMessage {
  /** Our message id: lets the engine (or a reconciliation after a crash) recognise the send. */
  clientMessageId: string;
  /** Chat id, e.g. `15551234567@c.us` or a group `...@g.us`. */
  to: string;
  type: MessageType;
  text?: string;
  caption?: string;
  /** Media to attach (image/video/audio/document): bytes are fetched through `openMedia`. */
  media?: { mediaId: string; mimeType: string; filename?: string; openMedia: () => Promise<NodeJS.ReadableStream> };
  location?: { latitude: number; longitude: number; description?: string };
  contact?: { name: string; phone: string };
  /** WhatsApp id of the message replied or reacted to. */
  quotedMessageId?: string;
  emoji?: string;
}

export interface SendResult {
  waMessageId: string;
  timestamp: Date;
}

/** A message the engine received from WhatsApp. */
export interface InboundMessage {
  waMessageId: string;
  chatId: string;
  from: string;
  to: string;
  type: MessageType;
  body?: string;
  timestamp: Date;
  /** Present for media messages: the engine streams the bytes on request. */
  media?: { mimeType: string; filename?: string; size?: number; download: () => Promise<NodeJS.ReadableStream> };
  /** Present for location messages. */
  location?: { latitude: number; longitude: number; description?: string };
  quotedMessageId?: string;
}

/** Someone else's reaction to a message, as the engine received it. */
export interface InboundReaction {
  /** WhatsApp id of the reacted message. */
  waMessageId: string;
  chatId: string;
  /** Who reacted (in a group, the member). */
  from: string;
  /** Empty when the reaction was taken back. */
  emoji: string;
  timestamp: Date;
}

/** What an engine session reports, mapped from the engine's own events to ours. */
export type EngineEvent =
  | { type: 'qr'; qr: string; expiresAt: Date }
  | { type: 'authenticated' }
  | { type: 'ready'; phone: string; pushName?: string }
  | { type: 'message'; message: InboundMessage }
  | { type: 'message_ack'; waMessageId: string; ack: AckLevel }
  /** WhatsApp refused a message it had taken (an error ack): the send failed after all. */
  | { type: 'message_refused'; waMessageId: string; reason: string }
  /** A received message of a kind we do not carry (a poll, a button reply…): `kind` is the engine's name for it. */
  | { type: 'message_unsupported'; waMessageId: string; chatId: string; kind: string }
  | { type: 'message_reaction'; reaction: InboundReaction }
  | { type: 'message_revoked'; waMessageId: string; chatId: string }
  | { type: 'disconnected'; reason: string }
  | { type: 'state'; state: string }
  /** The session cannot go on (browser missing, WhatsApp Web unreachable): `reason` is for a person. */
  | { type: 'failed'; reason: string };

/** Outcome of asking the engine whether a send whose result was lost actually happened. */
export type SendLookup = { found: true; result: SendResult } | { found: false } | { found: 'unknown'; reason: string };

export interface EngineSessionOptions {
  sessionId: string;
  /** Per-session engine settings from the session's `config` json. */
  config: Record<string, unknown>;
}

/** One WhatsApp connection. Created by an `EnginePort`, driven by the session-worker holding the lease. */
export abstract class EngineSession {
  /** Starts connecting; progress arrives as events (qr, authenticated, ready, failed). */
  abstract initialize(): Promise<void>;
  /** Asks for a pairing code for `phone` instead of scanning a QR. */
  abstract requestPairingCode(phone: string): Promise<string>;
  /** Sends one message; rejects with `EngineError` (code + reason a person understands) on failure. */
  abstract send(message: OutboundMessage): Promise<SendResult>;
  /** After a crash between "sending" and "sent": did this message reach WhatsApp? Never guesses. */
  abstract findSent(clientMessageId: string, chatId: string): Promise<SendLookup>;
  /** Subscribes to this session's events; returns an unsubscribe. */
  abstract onEvent(listener: (event: EngineEvent) => void): () => void;
  /** Closes the connection but keeps the login, so the session can start again without a QR. */
  abstract disconnect(): Promise<void>;
  /** Logs out from WhatsApp and forgets the login. */
  abstract logout(): Promise<void>;
  /** Frees everything (browser, timers). Safe to call twice. */
  abstract destroy(): Promise<void>;
}

/** The engine socket: makes sessions of one kind. Plugs: whatsapp-web.js (puppeteer) and simulator. */
export abstract class EnginePort {
  abstract readonly name: EngineName;
  abstract createSession(options: EngineSessionOptions): EngineSession;
  abstract health(): Promise<SocketHealth>;
  abstract close(): Promise<void>;
}
