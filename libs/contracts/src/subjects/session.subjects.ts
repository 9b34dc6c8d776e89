import { z } from 'zod';

/** Lifecycle states of a session, in the order a healthy start walks through them. */
export const SESSION_STATUS_VALUES = [
  'created',
  'initializing',
  'qr_ready',
  'authenticating',
  'ready',
  'disconnected',
  'stopped',
  'failed',
] as const;
export const SessionStatusSchema = z.enum(SESSION_STATUS_VALUES);
export type SessionStatusValue = z.infer<typeof SessionStatusSchema>;

export const SESSION_ENGINE_VALUES = ['whatsapp-web.js', 'simulator'] as const;
export const SessionEngineSchema = z.enum(SESSION_ENGINE_VALUES, {
  error: `must be one of ${SESSION_ENGINE_VALUES.join(', ')}`,
});

/** A session as the API shows it; `owner` is the worker holding a live lease, if any. */
export const SessionViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  engine: SessionEngineSchema,
  status: SessionStatusSchema,
  desiredState: z.enum(['running', 'stopped']),
  phone: z.string().nullable(),
  pushName: z.string().nullable(),
  lastError: z.string().nullable(),
  connectedAt: z.string().nullable(),
  owner: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SessionView = z.infer<typeof SessionViewSchema>;

export const CreateSessionRequestSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    engine: SessionEngineSchema.optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    start: z.boolean().default(true),
  })
  .strict();
export type CreateSessionRequest = z.input<typeof CreateSessionRequestSchema>;

export const SessionIdRequestSchema = z.object({ id: z.string().min(1) }).strict();
const NoPayloadSchema = z.object({}).strict();

/** What the owner knows right now about a session it runs. */
export const SessionRuntimeSchema = z.object({
  status: SessionStatusSchema,
  generation: z.number().int(),
  owner: z.string(),
});

export const SessionQrSchema = z.object({ qr: z.string(), expiresAt: z.string() });
export type SessionQr = z.infer<typeof SessionQrSchema>;

/** Payload of `session.status` events. */
export const SessionStatusEventSchema = z.object({
  status: SessionStatusSchema,
  previous: SessionStatusSchema,
  reason: z.string().optional(),
  generation: z.number().int().optional(),
});
export type SessionStatusEvent = z.infer<typeof SessionStatusEventSchema>;

/** Payload of `session.created`: published once the row is written, before any `session.status`. */
export const SessionCreatedEventSchema = SessionViewSchema.pick({ id: true, name: true, engine: true, status: true, desiredState: true, createdAt: true });
export type SessionCreatedEvent = z.infer<typeof SessionCreatedEventSchema>;

/** Payload of `session.deleted`: the row and its webhooks are gone, so only SSE and NATS subscribers see it. */
export const SessionDeletedEventSchema = z.object({ id: z.string(), name: z.string(), deletedAt: z.string() });
export type SessionDeletedEvent = z.infer<typeof SessionDeletedEventSchema>;

/**
 * Commands on one session, sent on `wa.session.<id>.<command>` (see `sessionSubject`) and
 * answered only by the session-worker holding that session's lease.
 */
export const SessionCommandSubjects = {
  'wa.session.start': { request: NoPayloadSchema, reply: SessionViewSchema },
  'wa.session.stop': { request: NoPayloadSchema, reply: SessionViewSchema },
  'wa.session.logout': { request: NoPayloadSchema, reply: SessionViewSchema },
  'wa.session.status': { request: NoPayloadSchema, reply: SessionRuntimeSchema },
  'wa.session.qr': { request: NoPayloadSchema, reply: SessionQrSchema },
  /**
   * A send job reached a worker that is not the owner: the owner takes the message (or every
   * pending message of the batch) into its send loop and answers once it holds it.
   */
  'wa.session.send': {
    request: z.union([z.object({ messageId: z.string() }).strict(), z.object({ batchId: z.string() }).strict()]),
    reply: z.object({ accepted: z.number().int() }),
  },
  'wa.session.pair-code': {
    request: z.object({ phone: z.string().regex(/^\d{6,15}$/, 'digits only, with country code') }).strict(),
    reply: z.object({ code: z.string() }),
  },
} as const;

export const SessionSubjects = {
  ...SessionCommandSubjects,
  /**
   * The owner's single subscription per session (`wa.session.<id>.>`): it dispatches on the
   * last subject token and validates against that command's own schema.
   */
  'wa.session.any': { request: z.unknown(), reply: z.unknown() },
  /** Service-level: any session-worker answers (queue group); the worker owns the tables. */
  'sessions.create': { request: CreateSessionRequestSchema, reply: SessionViewSchema },
  'sessions.list': { request: NoPayloadSchema, reply: z.object({ sessions: z.array(SessionViewSchema) }) },
  'sessions.get': { request: SessionIdRequestSchema, reply: SessionViewSchema },
  'sessions.delete': { request: SessionIdRequestSchema, reply: z.object({ deleted: z.boolean() }) },
  /** Sets desiredState running, then starts it on its owner, or claims it when nobody holds it. */
  'sessions.start': { request: SessionIdRequestSchema, reply: SessionViewSchema },
  /** Sets desiredState stopped; its owner stops the engine and releases the lease. */
  'sessions.stop': { request: SessionIdRequestSchema, reply: SessionViewSchema },
  /** Sent on `worker.<instanceId>.drain` (see `workerDrainSubject`): only that worker answers. */
  'worker.drain': {
    request: z.object({ instanceId: z.string() }).strict(),
    reply: z.object({ instanceId: z.string(), released: z.number().int() }),
  },
} as const;

/** The per-session command names: the last token of `wa.session.<id>.<command>`. */
export type SessionCommand = {
  [K in keyof typeof SessionCommandSubjects]: K extends `wa.session.${infer C}` ? C : never;
}[keyof typeof SessionCommandSubjects];

/** `wa.session.<id>.<command>`: the wire subject of a command for one session. */
export function sessionSubject(sessionId: string, command: string): string {
  return `wa.session.${sessionId}.${command}`;
}

/** `wa.session.<id>.>`: every command of one session, subscribed by its lease owner. */
export function sessionCommandsPattern(sessionId: string): string {
  return `wa.session.${sessionId}.>`;
}

/** `worker.<instanceId>.drain`; characters a subject token cannot hold become `_`. */
export function workerDrainSubject(instanceId: string): string {
  return `worker.${instanceId.replace(/[^A-Za-z0-9_-]/g, '_')}.drain`;
}
