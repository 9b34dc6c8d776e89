import { randomUUID } from 'node:crypto';
import {
  EVENT_ENVELOPE_VERSION,
  type EventType,
  SessionCreatedEventSchema,
  type SessionDeletedEvent,
} from '@plugboard/contracts';
import type { SessionEntity } from '@plugboard/database';
import type { BusPort } from '@plugboard/messaging';
import { nameBasedUuid } from '@plugboard/service-kit';
import { toSessionView } from './session-view';

/**
 * Publishes one session event as an envelope on `wa.events.<id>.<type>` (JetStream on NATS).
 * `id` fixes the envelope id, so a publish repeated after a crash is de-duplicated.
 */
export async function publishSessionEvent(
  bus: BusPort,
  sessionId: string,
  type: EventType,
  data: Record<string, unknown>,
  id: string = randomUUID(),
): Promise<void> {
  await bus.publishEvent({
    id,
    type,
    version: EVENT_ENVELOPE_VERSION,
    sessionId,
    occurredAt: new Date().toISOString(),
    data,
  });
}

// Fixed namespace of the derived ids: changing it would give every past event a new id.
const EVENT_ID_NAMESPACE = Buffer.from('6f1c2a9e4b7d4e1fa3c85d20e9b7c614', 'hex');

/** The id of the one `type` event about `subjectId` (e.g. a message id): the same every time it is published. */
export function derivedEventId(type: EventType, subjectId: string): string {
  return nameBasedUuid(EVENT_ID_NAMESPACE, `${type}:${subjectId}`);
}

/** `session.created` for a row just written: the fields of its view that say what it is. */
export async function publishSessionCreated(bus: BusPort, session: SessionEntity): Promise<void> {
  const data = SessionCreatedEventSchema.parse(toSessionView(session));
  await publishSessionEvent(bus, session.id, 'session.created', data, derivedEventId('session.created', session.id));
}

/** `session.deleted` for a row just removed (`session` as it was read before). */
export async function publishSessionDeleted(bus: BusPort, session: SessionEntity, deletedAt: Date = new Date()): Promise<void> {
  const data: SessionDeletedEvent = { id: session.id, name: session.name, deletedAt: deletedAt.toISOString() };
  await publishSessionEvent(bus, session.id, 'session.deleted', data, derivedEventId('session.deleted', session.id));
}
