import type { EventEnvelope } from '@plugboard/contracts';

/** The fields of a webhook that decide whether an event goes to it. */
export interface WebhookFilter {
  sessionId: string;
  events: readonly string[];
  active: boolean;
}

/** True when an active webhook of the event's session subscribes to its type (or to `*`). */
export function webhookMatches(webhook: WebhookFilter, event: Pick<EventEnvelope, 'sessionId' | 'type'>): boolean {
  return webhook.active && webhook.sessionId === event.sessionId && (webhook.events.includes('*') || webhook.events.includes(event.type));
}
