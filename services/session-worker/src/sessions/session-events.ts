import { createHash, randomUUID } from 'node:crypto';
import { EVENT_ENVELOPE_VERSION, type EventType } from '@plugboard/contracts';
import type { BusPort } from '@plugboard/messaging';

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

/**
 * The id of the one `type` event about `subjectId` (e.g. a message id): the same every time it
 * is published, shaped as a name-based UUID (version 5: SHA-1 of a namespace and the name).
 */
export function derivedEventId(type: EventType, subjectId: string): string {
  const hash = createHash('sha1').update(EVENT_ID_NAMESPACE).update(`${type}:${subjectId}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
