import { randomUUID } from 'node:crypto';
import { EVENT_ENVELOPE_VERSION, type EventType } from '@plugboard/contracts';
import type { BusPort } from '@plugboard/messaging';

/** Publishes one session event as an envelope on `wa.events.<id>.<type>` (JetStream on NATS). */
export async function publishSessionEvent(
  bus: BusPort,
  sessionId: string,
  type: EventType,
  data: Record<string, unknown>,
): Promise<void> {
  await bus.publishEvent({
    id: randomUUID(),
    type,
    version: EVENT_ENVELOPE_VERSION,
    sessionId,
    occurredAt: new Date().toISOString(),
    data,
  });
}
