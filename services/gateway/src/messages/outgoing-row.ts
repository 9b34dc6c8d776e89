import { type SendMessageRequest, toChatId } from '@plugboard/contracts';
import type { NewBatchMessage } from '@plugboard/database';

/** Fields of a send request kept in the row's `payload`, under the names the engine takes them by. */
const PAYLOAD_FIELDS = ['caption', 'filename', 'location', 'contact', 'quotedMessageId', 'emoji'] as const;

/**
 * The columns of an outgoing row for a validated send request: `body` holds the text, the
 * file is `mediaId` (a `mediaUrl` was stored first), everything else goes in `payload`.
 * `from` is the session's own chat id when its phone is known.
 */
export function outgoingRow(message: SendMessageRequest, sender: { phone?: string | null }, mediaId: string | null): NewBatchMessage {
  const payload: Record<string, unknown> = {};
  for (const field of PAYLOAD_FIELDS) if (message[field] !== undefined) payload[field] = message[field];
  return {
    chatId: message.to,
    from: sender.phone ? toChatId(sender.phone) : 'me',
    to: message.to,
    type: message.type,
    body: message.text ?? null,
    mediaId,
    payload,
  };
}
