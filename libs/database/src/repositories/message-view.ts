import type { MessageView } from '@plugboard/contracts';
import type { MessageEntity } from '../entities/message.entity';

/** A message row as the API and the `message.*` events show it (instants as ISO-8601). */
export function toMessageView(message: MessageEntity): MessageView {
  return {
    id: message.id,
    sessionId: message.sessionId,
    waMessageId: message.waMessageId ?? null,
    chatId: message.chatId,
    from: message.from,
    to: message.to,
    direction: message.direction,
    type: message.type,
    body: message.body ?? null,
    mediaId: message.mediaId ?? null,
    payload: message.payload ?? {},
    status: message.status,
    failureReason: message.failureReason ?? null,
    batchId: message.batchId ?? null,
    timeline: (message.timeline ?? []).map((entry) => ({ status: entry.status, at: entry.at })),
    createdAt: iso(message.createdAt),
    dueAt: iso(message.dueAt),
    sentAt: isoOrNull(message.sentAt),
    deliveredAt: isoOrNull(message.deliveredAt),
    readAt: isoOrNull(message.readAt),
    revokedAt: isoOrNull(message.revokedAt),
  };
}

function iso(value: Date): string {
  return value.toISOString();
}

function isoOrNull(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}
