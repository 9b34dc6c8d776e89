import { z } from 'zod';
import { HealthPingRequestSchema, ServiceHealthSchema } from './health';

/**
 * Every request-reply subject, with the schemas its request and reply are validated
 * against on arrival. Nothing else in the code writes a subject string by hand.
 */
export const SubjectMap = {
  /** Scatter-gather: every instance of every service answers with its health. */
  'health.ping': { request: HealthPingRequestSchema, reply: ServiceHealthSchema },
  /** Diagnostic echo, used by the bus self-tests and benchmarks. */
  'bus.echo': {
    request: z.object({ text: z.string() }),
    reply: z.object({ text: z.string(), instanceId: z.string().optional() }),
  },
} as const satisfies Record<string, { request: z.ZodType; reply: z.ZodType }>;

export type RequestSubject = keyof typeof SubjectMap;
export type RequestOf<S extends RequestSubject> = z.infer<(typeof SubjectMap)[S]['request']>;
export type ReplyOf<S extends RequestSubject> = z.infer<(typeof SubjectMap)[S]['reply']>;

/**
 * What a responder sends back on the wire: either the reply or a coded error.
 * A malformed request gets `{ ok: false, error: { code: 'VALIDATION_FAILED' } }`.
 */
export const ReplyEnvelopeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  }),
]);
export type ReplyEnvelope = z.infer<typeof ReplyEnvelopeSchema>;
