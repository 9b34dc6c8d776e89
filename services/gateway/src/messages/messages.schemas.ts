import {
  ChatIdSchema,
  MessageDirectionSchema,
  MessageStatusSchema,
  MessageTypeSchema,
  MessageViewSchema,
  SessionIdSchema,
} from '@plugboard/contracts';
import { z } from 'zod';

export const SessionParamSchema = SessionIdSchema;
export const MessageIdParamSchema = z.string().min(1).max(64);
export const BatchIdParamSchema = z.uuid();

/** `202` of a send: the message id and the status of its row. */
export const SendAcceptedSchema = z.object({ id: z.string(), status: MessageStatusSchema });
export type SendAccepted = z.infer<typeof SendAcceptedSchema>;

/** Filters of `GET /api/sessions/:id/messages`; `from` inclusive, `to` exclusive. */
export const HistoryQuerySchema = z
  .object({
    chatId: ChatIdSchema.optional(),
    direction: MessageDirectionSchema.optional(),
    type: MessageTypeSchema.optional(),
    status: MessageStatusSchema.optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

export const MessagePageSchema = z.object({ items: z.array(MessageViewSchema), nextCursor: z.string().nullable() });
export type MessagePage = z.infer<typeof MessagePageSchema>;

export const BulkAcceptedSchema = z.object({ batchId: z.string(), total: z.number().int() });
export type BulkAccepted = z.infer<typeof BulkAcceptedSchema>;

/** Pages through a batch's per-message results. */
export const BatchQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1_000).optional(),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();
export type BatchQuery = z.infer<typeof BatchQuerySchema>;

export const BatchProgressSchema = z.object({
  id: z.string(),
  status: z.enum(['running', 'completed', 'cancelled']),
  total: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  pending: z.number().int(),
  delayMs: z.number().int(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  messages: z.array(
    z.object({ id: z.string(), to: z.string(), status: MessageStatusSchema, failureReason: z.string().nullable() }),
  ),
  /** Next page of `messages` (pass as `cursor`); null when this page was the last. */
  nextCursor: z.string().nullable(),
});
export type BatchProgress = z.infer<typeof BatchProgressSchema>;
