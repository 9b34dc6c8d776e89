import type { WebhookAttempt, WebhookDeliveryEntity, WebhookDeliveryStatus, WebhookEntity } from '@plugboard/database';

/** A webhook as the API shows it: no secret, custom header names only. */
export interface WebhookView {
  id: string;
  sessionId: string;
  url: string;
  events: string[];
  headers: string[];
  active: boolean;
  retry: { attempts: number; backoffMs: number };
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDeliveryView {
  id: string;
  webhookId: string;
  sessionId: string;
  eventId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  round: number;
  attempts: WebhookAttempt[];
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export function webhookView(webhook: WebhookEntity): WebhookView {
  return {
    id: webhook.id,
    sessionId: webhook.sessionId,
    url: webhook.url,
    events: webhook.events,
    headers: Object.keys(webhook.headers),
    active: webhook.active,
    retry: { attempts: webhook.retryAttempts, backoffMs: webhook.retryBackoffMs },
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
  };
}

export function webhookDeliveryView(row: WebhookDeliveryEntity): WebhookDeliveryView {
  return {
    id: row.id,
    webhookId: row.webhookId,
    sessionId: row.sessionId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    round: row.round,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}
