import type { AckLevel, EngineEvent, InboundMessage, MessageType, OutboundMessage } from './engine.port';

/*
 * Pure translation between whatsapp-web.js payloads and our engine events. Only the fields
 * read here are declared, so fixtures of recorded payload shapes fit without a browser.
 */

/** The fields of a whatsapp-web.js `Message` this mapper reads. */
export interface WwebjsMessage {
  id: { _serialized: string; fromMe?: boolean };
  from: string;
  to: string;
  /** Sender inside a group chat (`from` is then the group). */
  author?: string;
  body: string;
  type: string;
  ack?: number;
  hasMedia: boolean;
  /** Seconds since the epoch. */
  timestamp: number;
  fromMe: boolean;
  hasQuotedMsg: boolean;
  location?: { latitude: number | string; longitude: number | string; description?: string };
  vCards?: string[];
  _data?: { mimetype?: string; filename?: string; size?: number };
}

/** A message key as whatsapp-web.js hands it over; `remote` is the chat (a string, or a serialized Wid). */
export interface WwebjsMessageKey {
  _serialized: string;
  fromMe?: boolean;
  remote?: string | { _serialized: string };
}

/** The fields of a whatsapp-web.js `Reaction` (event `message_reaction`) this mapper reads. */
export interface WwebjsReaction {
  /** The reaction's own key: `fromMe` tells our reactions from the others'. */
  id: WwebjsMessageKey;
  /** The reacted message. */
  msgId: WwebjsMessageKey;
  senderId: string;
  /** The emoji; empty when the reaction was taken back. */
  reaction: string;
  /** Seconds since the epoch (whatsapp-web.js divides WhatsApp's milliseconds, so it may have a fraction). */
  timestamp: number;
}

/** The fields of `client.info` read here. */
export interface WwebjsClientInfo {
  wid: { user: string; _serialized?: string };
  pushname?: string;
}

/** How long whatsapp-web.js shows one QR code before the next `qr` event (WhatsApp Web refreshes them about every 20 s). */
export const WWEBJS_QR_TTL_MS = 20_000;

const TYPES: Record<string, MessageType> = {
  chat: 'text',
  image: 'image',
  video: 'video',
  ptt: 'audio',
  audio: 'audio',
  document: 'document',
  location: 'location',
  vcard: 'contact',
  multi_vcard: 'contact',
  sticker: 'image',
};

/** Our type of a whatsapp-web.js message type; null for kinds we do not carry (polls, button and list replies, notifications…). */
export function messageTypeOf(type: string): MessageType | null {
  return TYPES[type] ?? null;
}

/**
 * whatsapp-web.js ack numbers: -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played.
 * Error and pending are not steps forward, so they map to null (an error is a refusal, see toAckEvent).
 */
export function ackLevelOf(ack: number): AckLevel | null {
  if (ack === 1) return 'sent';
  if (ack === 2) return 'delivered';
  if (ack >= 3) return 'read';
  return null;
}

/** The chat a message belongs to: the other party for a direct chat, the group for a group. */
export function chatIdOf(message: WwebjsMessage): string {
  return message.fromMe ? message.to : message.from;
}

export interface InboundExtras {
  /** The serialized id of the quoted message, resolved by the caller (it needs the browser). */
  quotedMessageId?: string;
  download: () => Promise<NodeJS.ReadableStream>;
}

/** whatsapp-web.js's ack of a message WhatsApp refused (MessageAck.ACK_ERROR). */
const ACK_ERROR = -1;

/** A received message as ours; null for our own messages and for kinds we do not carry. */
export function toInboundMessage(message: WwebjsMessage, extras: InboundExtras): InboundMessage | null {
  const type = messageTypeOf(message.type);
  if (!type || message.fromMe) return null;
  const inbound: InboundMessage = {
    waMessageId: message.id._serialized,
    chatId: chatIdOf(message),
    from: message.author ?? message.from,
    to: message.to,
    type,
    timestamp: new Date(message.timestamp * 1000),
  };
  // A location's body is a thumbnail, not text; a media message's body is its caption.
  const body = type === 'location' ? undefined : type === 'contact' ? (message.vCards?.join('\n') ?? message.body) : message.body;
  if (body) inbound.body = body;
  if (message.hasMedia) {
    inbound.media = {
      mimeType: message._data?.mimetype ?? 'application/octet-stream',
      filename: message._data?.filename,
      size: message._data?.size,
      download: extras.download,
    };
  }
  if (type === 'location' && message.location) {
    inbound.location = {
      latitude: Number(message.location.latitude),
      longitude: Number(message.location.longitude),
      description: message.location.description || undefined,
    };
  }
  if (message.hasQuotedMsg && extras.quotedMessageId) inbound.quotedMessageId = extras.quotedMessageId;
  return inbound;
}

/**
 * `message` → a received message, or a report of a kind we do not carry; null for our own.
 * Such kinds are reported, not stored: the contract has no generic message type (its types are
 * also the send API's and a CHECK on `messages.type`), and storing a poll as `text` would lie.
 */
export function toMessageEvent(message: WwebjsMessage, extras: InboundExtras): EngineEvent | null {
  if (message.fromMe) return null;
  const inbound = toInboundMessage(message, extras);
  if (inbound) return { type: 'message', message: inbound };
  return { type: 'message_unsupported', waMessageId: message.id._serialized, chatId: chatIdOf(message), kind: message.type };
}

/** `message_ack` (message, ack) → our ack event, or a refusal for an error ack; null when the ack is not a step forward. */
export function toAckEvent(message: WwebjsMessage, ack: number): EngineEvent | null {
  if (ack === ACK_ERROR) return { type: 'message_refused', waMessageId: message.id._serialized, reason: 'WhatsApp refused the message (error ack)' };
  const level = ackLevelOf(ack);
  return level ? { type: 'message_ack', waMessageId: message.id._serialized, ack: level } : null;
}

/** `message_reaction` → someone else's reaction; null for ours (sent through us or from the phone). */
export function toReactionEvent(reaction: WwebjsReaction): EngineEvent | null {
  if (reaction.id.fromMe) return null;
  return {
    type: 'message_reaction',
    reaction: {
      waMessageId: reaction.msgId._serialized,
      chatId: chatOfKey(reaction.msgId),
      from: reaction.senderId,
      emoji: reaction.reaction ?? '',
      timestamp: new Date(Math.round(reaction.timestamp * 1000)),
    },
  };
}

/** The chat of a message key: its `remote`, else the middle of `<fromMe>_<chat>_<id>[_<author>]`. */
function chatOfKey(key: WwebjsMessageKey): string {
  const remote = typeof key.remote === 'string' ? key.remote : key.remote?._serialized;
  return remote ?? key._serialized.split('_')[1] ?? '';
}

/** `message_revoke_everyone` (after, before): `after` keeps the revoked message's id. */
export function toRevokedEvent(after: WwebjsMessage, before?: WwebjsMessage | null): EngineEvent {
  const original = before ?? after;
  return { type: 'message_revoked', waMessageId: original.id._serialized, chatId: chatIdOf(original) };
}

export function toQrEvent(qr: string, now: Date, ttlMs = WWEBJS_QR_TTL_MS): EngineEvent {
  return { type: 'qr', qr, expiresAt: new Date(now.getTime() + ttlMs) };
}

export function toReadyEvent(info: WwebjsClientInfo): EngineEvent {
  return { type: 'ready', phone: info.wid.user, pushName: info.pushname || undefined };
}

/** `disconnected` carries WhatsApp's reason (`LOGOUT`, `NAVIGATION`, `CONFLICT`, …). */
export function toDisconnectedEvent(reason: unknown): EngineEvent {
  return { type: 'disconnected', reason: typeof reason === 'string' && reason ? reason : 'disconnected' };
}

export function toStateEvent(state: unknown): EngineEvent {
  return { type: 'state', state: String(state) };
}

/** A contact card as WhatsApp reads it: `waid` makes the number tappable in the chat. */
export function vcardOf(contact: NonNullable<OutboundMessage['contact']>): string {
  const digits = contact.phone.replace(/\D/g, '');
  const name = contact.name.replace(/[\r\n;]/g, ' ');
  return ['BEGIN:VCARD', 'VERSION:3.0', `FN:${name}`, `TEL;type=CELL;waid=${digits}:+${digits}`, 'END:VCARD'].join('\n');
}
