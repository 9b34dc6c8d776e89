import type { MessageEntity, MessageTimelineEntry } from '../entities/message.entity';
import type { SqlRow, SqlStatements } from './sql-statements';

/** Every column of `messages`, for SELECT and RETURNING lists (quoted: `from` and `to` are keywords). */
export const MESSAGE_COLUMNS = [
  'id',
  'session_id',
  'wa_message_id',
  'chat_id',
  'from',
  'to',
  'direction',
  'type',
  'body',
  'media_id',
  'payload',
  'status',
  'failure_reason',
  'idempotency_key',
  'batch_id',
  'lease_generation',
  'timeline',
  'created_at',
  'updated_at',
  'sent_at',
  'delivered_at',
  'read_at',
  'due_at',
  'revoked_at',
  'announced_at',
]
  .map((column) => `"${column}"`)
  .join(', ');

/**
 * A raw `messages` row as the entity the rest of the code knows: a plain object, not managed
 * by any EntityManager (the entity class's prototype carries the ORM's property accessors,
 * which cost more than the mapping itself).
 */
export function messageFromRow(sql: SqlStatements, row: SqlRow): MessageEntity {
  const message: MessageEntity = {
    id: row.id as string,
    sessionId: row.session_id as string,
    waMessageId: (row.wa_message_id as string | null) ?? null,
    chatId: row.chat_id as string,
    from: row.from as string,
    to: row.to as string,
    direction: row.direction as MessageEntity['direction'],
    type: row.type as MessageEntity['type'],
    body: (row.body as string | null) ?? null,
    mediaId: (row.media_id as string | null) ?? null,
    payload: sql.readJson<Record<string, unknown>>(row.payload),
    status: row.status as MessageEntity['status'],
    failureReason: (row.failure_reason as string | null) ?? null,
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    batchId: (row.batch_id as string | null) ?? null,
    leaseGeneration: row.lease_generation === null || row.lease_generation === undefined ? null : Number(row.lease_generation),
    timeline: sql.readJson<MessageTimelineEntry[]>(row.timeline),
    createdAt: sql.readDate(row.created_at),
    updatedAt: sql.readDate(row.updated_at),
    sentAt: sql.readOptionalDate(row.sent_at),
    deliveredAt: sql.readOptionalDate(row.delivered_at),
    readAt: sql.readOptionalDate(row.read_at),
    dueAt: sql.readDate(row.due_at),
    revokedAt: sql.readOptionalDate(row.revoked_at),
    announcedAt: sql.readOptionalDate(row.announced_at),
  };
  return message;
}
