import { createHmac, hash, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 24 random bytes (Standard Webhooks). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

/** True for `whsec_` + base64 of 24 to 64 bytes. */
export function isValidWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return false;
  const length = Buffer.from(encoded, 'base64').length;
  return length >= 24 && length <= 64;
}

/**
 * `v1,<base64 HMAC-SHA256>` over `${id}.${timestamp}.${body}`, keyed with the secret's
 * decoded bytes: the `webhook-signature` header of Standard Webhooks.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return signContent(secret, `${id}.${timestamp}.${body}`);
}

/**
 * The `webhook-signature` header signed with each secret, space-separated as Standard Webhooks
 * allows: a receiver holding any one of them verifies.
 */
export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  if (secrets.length === 1) return signWebhook(secrets[0], id, timestamp, body);
  // The signed content is built once, not per secret: bodies can be large.
  const content = `${id}.${timestamp}.${body}`;
  return secrets.map((secret) => signContent(secret, content)).join(' ');
}

/** What decides which secrets sign: a webhook's current secret and the one before its last rotation. */
export interface WebhookSecrets {
  secret: string;
  previousSecret?: string | null;
  previousSecretExpiresAt?: Date | null;
}

/** The secrets that sign a request sent at `now`: the current one, then the previous one until it expires. */
export function signingSecrets(webhook: WebhookSecrets, now: number): string[] {
  const { secret, previousSecret, previousSecretExpiresAt } = webhook;
  return previousSecret && previousSecretExpiresAt && previousSecretExpiresAt.getTime() > now ? [secret, previousSecret] : [secret];
}

function signContent(secret: string, content: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(content).digest('base64')}`;
}

/**
 * The delivery id (and `webhook-id` header) of one event for one webhook: derived, not
 * random, so a replayed event maps onto the same row and job and receivers can de-duplicate.
 */
export function webhookDeliveryId(webhookId: string, eventId: string): string {
  // One-shot hash: no Hash object per row on the fan-out's hot path.
  return `msg_${hash('sha256', `${webhookId}\n${eventId}`, 'base64url').slice(0, 32)}`;
}
