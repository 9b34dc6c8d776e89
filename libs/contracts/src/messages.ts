import { z } from 'zod';

export const MESSAGE_TYPE_VALUES = ['text', 'image', 'video', 'audio', 'document', 'location', 'contact', 'reply', 'reaction'] as const;
export const MessageTypeSchema = z.enum(MESSAGE_TYPE_VALUES, { error: `must be one of ${MESSAGE_TYPE_VALUES.join(', ')}` });
export type MessageTypeValue = z.infer<typeof MessageTypeSchema>;

export const MESSAGE_STATUS_VALUES = ['pending', 'sending', 'sent', 'delivered', 'read', 'failed'] as const;
export const MessageStatusSchema = z.enum(MESSAGE_STATUS_VALUES);
export const MessageDirectionSchema = z.enum(['incoming', 'outgoing']);

/** Types that carry a file (by `mediaId` or `mediaUrl`). */
export const MEDIA_MESSAGE_TYPES: readonly MessageTypeValue[] = ['image', 'video', 'audio', 'document'];

/**
 * A WhatsApp chat id: a person `<digits>@c.us` (or `@s.whatsapp.net`, `@lid`), a group
 * `<digits>-<digits>@g.us` or `<digits>@g.us`. A bare phone number (digits, an optional
 * leading `+`) is accepted by the send API and becomes `<digits>@c.us`.
 */
export const CHAT_ID_PATTERN = /^\d{5,20}(-\d{5,20})?@(c\.us|g\.us|s\.whatsapp\.net|lid)$/;
const PHONE_PATTERN = /^\+?\d{6,15}$/;

/** `+15551234567` or `15551234567` → `15551234567@c.us`; a chat id stays as it is. */
export function toChatId(to: string): string {
  return PHONE_PATTERN.test(to) ? `${to.replace(/^\+/, '')}@c.us` : to;
}

export const ChatIdSchema = z
  .string()
  .trim()
  .refine((v) => PHONE_PATTERN.test(v) || CHAT_ID_PATTERN.test(v), {
    error: 'must be a phone number with country code (digits) or a chat id like 15551234567@c.us or ...@g.us',
  })
  .transform(toChatId);

/** Longest text body, in characters (WhatsApp's own limit is about 65,000). */
export const MAX_TEXT_LENGTH = 65_536;

/**
 * The body of `POST /api/sessions/:id/messages` (and each item of a bulk send). Fields that do
 * not belong to the type are refused, so a typo never silently sends something else.
 */
export const SendMessageRequestSchema = z
  .object({
    to: ChatIdSchema,
    type: MessageTypeSchema,
    text: z.string().min(1).max(MAX_TEXT_LENGTH).optional(),
    mediaId: z.uuid().optional(),
    mediaUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
    caption: z.string().max(4096).optional(),
    filename: z.string().min(1).max(255).optional(),
    location: z
      .object({
        latitude: z.number().min(-90).max(90),
        longitude: z.number().min(-180).max(180),
        description: z.string().max(1024).optional(),
      })
      .strict()
      .optional(),
    contact: z
      .object({ name: z.string().min(1).max(256), phone: z.string().regex(PHONE_PATTERN, 'digits with country code') })
      .strict()
      .optional(),
    quotedMessageId: z.string().min(1).max(256).optional(),
    emoji: z.string().min(1).max(16).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const need = (field: keyof typeof m, when: string) => {
      if (m[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required for ${when}` });
    };
    const refuse = (field: keyof typeof m) => {
      if (m[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `not allowed for type ${m.type}` });
    };
    const isMedia = MEDIA_MESSAGE_TYPES.includes(m.type);
    if (m.type === 'text' || m.type === 'reply') need('text', `type ${m.type}`);
    if (m.type === 'reply' || m.type === 'reaction') need('quotedMessageId', `type ${m.type}`);
    if (m.type === 'reaction') need('emoji', 'type reaction');
    if (m.type === 'location') need('location', 'type location');
    if (m.type === 'contact') need('contact', 'type contact');
    if (isMedia && (m.mediaId === undefined) === (m.mediaUrl === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['mediaId'], message: `type ${m.type} needs exactly one of mediaId or mediaUrl` });
    }
    if (!isMedia) (['mediaId', 'mediaUrl', 'caption', 'filename'] as const).forEach(refuse);
    if (m.type !== 'location') refuse('location');
    if (m.type !== 'contact') refuse('contact');
    if (m.type !== 'reaction') refuse('emoji');
    if (m.type !== 'reply' && m.type !== 'reaction') refuse('quotedMessageId');
    if (m.type !== 'text' && m.type !== 'reply') refuse('text');
  });
export type SendMessageRequest = z.output<typeof SendMessageRequestSchema>;

export const BulkSendRequestSchema = z
  .object({
    messages: z.array(SendMessageRequestSchema).min(1),
    /** Pause between two sends of the batch, in milliseconds. */
    delayMs: z.number().int().min(0).max(3_600_000).default(0),
  })
  .strict();
export type BulkSendRequest = z.output<typeof BulkSendRequestSchema>;

export const MessageTimelineEntrySchema = z.object({ status: MessageStatusSchema, at: z.string() });

/** A message as the API and the `message.*` events show it. */
export const MessageViewSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  waMessageId: z.string().nullable(),
  chatId: z.string(),
  from: z.string(),
  to: z.string(),
  direction: MessageDirectionSchema,
  type: MessageTypeSchema,
  body: z.string().nullable(),
  mediaId: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  status: MessageStatusSchema,
  failureReason: z.string().nullable(),
  batchId: z.string().nullable(),
  timeline: z.array(MessageTimelineEntrySchema),
  createdAt: z.string(),
  dueAt: z.string(),
  sentAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  readAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type MessageView = z.infer<typeof MessageViewSchema>;

/** Data of the `message.*` events (the envelope's `data`). */
export const MessageReceivedEventSchema = z.object({ message: MessageViewSchema });
export const MessageSentEventSchema = z.object({
  messageId: z.string(),
  waMessageId: z.string(),
  chatId: z.string(),
  batchId: z.string().nullable(),
  sentAt: z.string(),
});
export const MessageAckEventSchema = z.object({
  messageId: z.string(),
  waMessageId: z.string(),
  chatId: z.string(),
  ack: z.enum(['delivered', 'read']),
  at: z.string(),
});
export const MessageFailedEventSchema = z.object({
  messageId: z.string(),
  chatId: z.string(),
  batchId: z.string().nullable(),
  reason: z.string(),
  /** Engine tries made so far. */
  attempts: z.number().int(),
  /** False while another try is scheduled; true when the message is `failed` for good. */
  final: z.boolean(),
});
export const MessageRevokedEventSchema = z.object({
  messageId: z.string().nullable(),
  waMessageId: z.string(),
  chatId: z.string(),
  at: z.string(),
});
/** Someone reacted to a message (or took the reaction back: `emoji` is then empty). */
export const MessageReactedEventSchema = z.object({
  /** Our id of the reacted message; null when it is not stored here (older than the session, or sent from the phone). */
  messageId: z.string().nullable(),
  /** WhatsApp's id of the reacted message. */
  waMessageId: z.string(),
  chatId: z.string(),
  /** Who reacted (in a group, the member). */
  from: z.string(),
  emoji: z.string(),
  at: z.string(),
});

/**
 * A job of the `messages-send` queue (one message) or of `messages-bulk` (one batch): it tells
 * the session's lease owner that it has pending rows to send. The rows are the truth; the job
 * carries only ids.
 */
export const SendJobSchema = z.object({ sessionId: z.string(), messageId: z.string() });
export type SendJob = z.infer<typeof SendJobSchema>;
export const BulkJobSchema = z.object({ sessionId: z.string(), batchId: z.string() });
export type BulkJob = z.infer<typeof BulkJobSchema>;
