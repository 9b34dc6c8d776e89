import type { MessageEntity, MessageRepository } from '@plugboard/database';
import { UnsendableMessage } from './unsendable-message';

export type QuotedMessages = Pick<MessageRepository, 'get'>;

/** Our message ids are UUIDs; WhatsApp's never are (`true_15551234567@c.us_3EB0…`, the simulator's `SIM.…`). */
const OUR_MESSAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The WhatsApp id of the message a reply quotes or a reaction targets. Users pass our id (the
 * `id` of a 202 or of the history) as often as WhatsApp's, and an engine knows only WhatsApp's:
 * ours becomes the stored `waMessageId`, WhatsApp's passes through. Ours that cannot be resolved
 * fails the message for good (UnsendableMessage): no engine would find it, and whatsapp-web.js
 * would send a reply without its quote. Done before the engine, so every engine gets the same id.
 */
export async function resolveQuotedMessageId(row: MessageEntity, messages: QuotedMessages): Promise<string | undefined> {
  const id: unknown = row.payload?.quotedMessageId;
  if (typeof id !== 'string') return undefined;
  if (!OUR_MESSAGE_ID.test(id)) return id;
  const quoted = await messages.get(id.toLowerCase());
  // Another session's message is as unknown here as a made-up id.
  if (!quoted || quoted.sessionId !== row.sessionId) throw new UnsendableMessage(`quotedMessageId ${id}: no message of this session has that id`);
  if (quoted.type === 'reaction') throw new UnsendableMessage(`quotedMessageId ${id}: that message is a reaction, which cannot be quoted or reacted to`);
  if (!quoted.waMessageId) {
    throw new UnsendableMessage(`quotedMessageId ${id}: that message has no WhatsApp id (it is ${quoted.status}); only a sent or received message can be quoted or reacted to`);
  }
  return quoted.waMessageId;
}
