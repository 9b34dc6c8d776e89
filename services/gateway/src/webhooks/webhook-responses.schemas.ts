import { WEBHOOK_DELIVERY_STATUSES, type WebhookAttempt } from '@plugboard/database';
import { z } from 'zod';
import { schemaFor } from '../openapi/schema-for-type';
import type { WebhookResponse } from './webhook-sender';
import type { WebhookDeliveryView, WebhookView } from './webhook-views';

/** WebhookView for the OpenAPI document; schemaFor keeps each schema here equal to its type. */
export const WebhookViewSchema = schemaFor<WebhookView>()(
  z.object({
    id: z.string(),
    sessionId: z.string(),
    url: z.string(),
    events: z.array(z.string()).describe('Event types delivered, or ["*"] for all'),
    headers: z.array(z.string()).describe('Names of the custom headers sent with each delivery; their values are never shown'),
    active: z.boolean(),
    retry: z.object({ attempts: z.number().int().positive(), backoffMs: z.number().int().positive() }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);

/** The create answer: the one time the secret is shown. */
export type CreatedWebhook = WebhookView & { secret: string };
export const CreatedWebhookSchema = schemaFor<CreatedWebhook>()(
  WebhookViewSchema.extend({
    secret: z.string().describe('The signing secret (whsec_…): shown only in this response, store it now'),
  }),
);

export type WebhookList = { items: WebhookView[] };
export const WebhookListSchema = schemaFor<WebhookList>()(z.object({ items: z.array(WebhookViewSchema) }));

/** The outcome of one signed `webhook.test` POST. */
export type WebhookTestResult = WebhookResponse & { id: string };
export const WebhookTestResultSchema = schemaFor<WebhookTestResult>()(
  z.object({
    id: z.string().describe('The webhook-id the test POST carried'),
    statusCode: z.number().int().nullable().describe('HTTP status the receiver answered; null when no answer came'),
    durationMs: z.number().int().nonnegative(),
    error: z.string().nullable(),
    blocked: z.boolean().describe('The URL resolved to an address the SSRF guard refuses: no connection was made'),
  }),
);

const WebhookAttemptSchema = schemaFor<WebhookAttempt>()(
  z.object({
    round: z.number().int().nonnegative().describe('Redelivery round (0 = the original delivery)'),
    attempt: z.number().int().positive().describe('Try number inside its round, from 1'),
    at: z.iso.datetime(),
    statusCode: z.number().int().nullable(),
    durationMs: z.number().int().nonnegative(),
    error: z.string().nullable(),
  }),
);

export const WebhookDeliveryViewSchema = schemaFor<WebhookDeliveryView>()(
  z.object({
    id: z.string(),
    webhookId: z.string(),
    sessionId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES).describe('`dead`: every try failed (the dead-letter list)'),
    round: z.number().int().nonnegative(),
    attempts: z.array(WebhookAttemptSchema),
    nextAttemptAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
  }),
);

export type WebhookDeliveryPage = { items: WebhookDeliveryView[]; nextCursor?: string };
export const WebhookDeliveryPageSchema = schemaFor<WebhookDeliveryPage>()(
  z.object({ items: z.array(WebhookDeliveryViewSchema), nextCursor: z.string().optional().describe('Pass back as `cursor` for the next page') }),
);
