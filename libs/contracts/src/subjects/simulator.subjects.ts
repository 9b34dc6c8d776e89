import { z } from 'zod';
import { SessionIdSchema } from '../events';

/** Kinds of message the simulator can deliver as if a contact had sent them. */
export const SIMULATOR_INBOUND_TYPES = ['text', 'image', 'video', 'audio', 'document', 'location', 'contact'] as const;

/** Media bytes travel base64-encoded here, so keep them small: this is a test tool, not a media path. */
export const SIMULATOR_MAX_MEDIA_BYTES = 5 * 1024 * 1024;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const SimulatorPairRequestSchema = z.object({ sessionId: SessionIdSchema }).strict();
export const SimulatorPairReplySchema = z.object({
  sessionId: SessionIdSchema,
  phone: z.string(),
  pushName: z.string(),
  pairedAt: z.iso.datetime(),
});

export const SimulatorInboundRequestSchema = z
  .object({
    sessionId: SessionIdSchema,
    /** Sender, e.g. `15551234567@c.us`. */
    from: z.string().min(1),
    /** Chat the message lands in; defaults to `from` (a direct chat). A group is `...@g.us`. */
    chatId: z.string().min(1).optional(),
    type: z.enum(SIMULATOR_INBOUND_TYPES),
    body: z.string().optional(),
    media: z
      .object({
        mimeType: z.string().min(1),
        filename: z.string().optional(),
        dataBase64: z
          .string()
          .regex(BASE64, 'must be base64')
          .max(Math.ceil(SIMULATOR_MAX_MEDIA_BYTES / 3) * 4, `at most ${SIMULATOR_MAX_MEDIA_BYTES} bytes`),
      })
      .strict()
      .optional(),
    location: z
      .object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), description: z.string().optional() })
      .strict()
      .optional(),
    quotedMessageId: z.string().optional(),
  })
  .strict()
  .superRefine((request, ctx) => {
    const needsMedia = ['image', 'video', 'audio', 'document'].includes(request.type);
    if (needsMedia && !request.media) ctx.addIssue({ code: 'custom', path: ['media'], message: `required for type ${request.type}` });
    if (request.type === 'location' && !request.location) {
      ctx.addIssue({ code: 'custom', path: ['location'], message: 'required for type location' });
    }
    if ((request.type === 'text' || request.type === 'contact') && !request.body) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `required for type ${request.type}` });
    }
  });
export const SimulatorInboundReplySchema = z.object({ waMessageId: z.string() });

export const SIMULATOR_FAULT_KINDS = ['disconnect', 'send_failure'] as const;
export const SimulatorFaultRequestSchema = z
  .object({
    sessionId: SessionIdSchema,
    kind: z.enum(SIMULATOR_FAULT_KINDS),
    /** For `send_failure`: how many of the next sends fail (default 1). */
    count: z.number().int().min(1).max(1000).optional(),
  })
  .strict();
export const SimulatorFaultReplySchema = z.object({
  sessionId: SessionIdSchema,
  kind: z.enum(SIMULATOR_FAULT_KINDS),
  /** Sends still set to fail after this call. */
  pendingSendFailures: z.number().int().nonnegative(),
});

export type SimulatorInboundRequest = z.infer<typeof SimulatorInboundRequestSchema>;
export type SimulatorFaultRequest = z.infer<typeof SimulatorFaultRequestSchema>;

/**
 * Admin controls of the simulator engine (never WhatsApp). Answered by the session-worker
 * holding the session's lease, like every session-specific command.
 */
export const SimulatorSubjects = {
  /** Pairs the simulated phone, as if its QR code had been scanned. */
  'wa.session.simulator.pair': { request: SimulatorPairRequestSchema, reply: SimulatorPairReplySchema },
  /** Delivers a message to the session as if a contact had sent it. */
  'wa.session.simulator.inbound': { request: SimulatorInboundRequestSchema, reply: SimulatorInboundReplySchema },
  /** Injects a fault: a disconnect now, or failures of the next sends. */
  'wa.session.simulator.fault': { request: SimulatorFaultRequestSchema, reply: SimulatorFaultReplySchema },
} as const;
