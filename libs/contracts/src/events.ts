import { z } from 'zod';

/** Every WhatsApp event type. Past tense for what happened (`message.received`). */
export const EVENT_TYPES = [
  'session.created',
  'session.status',
  'session.qr',
  'session.authenticated',
  'session.disconnected',
  'session.deleted',
  'message.received',
  'message.sent',
  'message.ack',
  'message.failed',
  'message.revoked',
  'message.reacted',
  'media.stored',
] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

/** Envelope version: bump only with a reader for the old one. */
export const EVENT_ENVELOPE_VERSION = 1;

/** Session ids are used as NATS subject tokens: no dots, spaces or wildcards. */
export const SessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "-" and "_" only (1-64)');

export const EventEnvelopeSchema = z.object({
  id: z.string().min(1),
  type: EventTypeSchema,
  version: z.number().int().positive(),
  sessionId: SessionIdSchema,
  occurredAt: z.iso.datetime(),
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope<T extends Record<string, unknown> = Record<string, unknown>> = Omit<
  z.infer<typeof EventEnvelopeSchema>,
  'data'
> & { data: T };

/** JetStream stream that keeps every event for replay; external programs may subscribe to it. */
export const EVENTS_STREAM = 'WA_EVENTS';
export const EVENTS_SUBJECT_ALL = 'wa.events.>';

/** `wa.events.<sessionId>.<type>` — the subject one event is published on. */
export function eventSubject(sessionId: string, type: EventType): string {
  return `wa.events.${sessionId}.${type}`;
}
