import { Injectable } from '@nestjs/common';
import { ErrorCode, EVENT_ENVELOPE_VERSION } from '@plugboard/contracts';
import { Database, type WebhookChanges, type WebhookEntity } from '@plugboard/database';
import { QueuePort } from '@plugboard/messaging';
import { ServiceError } from '@plugboard/service-kit';
import { randomUUID } from 'node:crypto';
import { assertPublicUrl } from '../ssrf';
import { enqueueNextAttempt } from './webhook-jobs';
import type { CreateWebhookInput, UpdateWebhookInput } from './webhook.schemas';
import type { RotatedWebhookSecret, RotateWebhookSecretInput } from './webhook-secrets.schemas';
import { type WebhookResponse, WebhookSender } from './webhook-sender';
import { WebhookDirectory } from './webhook-directory';
import { WebhookSettings } from './webhook-settings';
import { generateWebhookSecret, signingSecrets } from './webhook-signature';
import { type WebhookDeliveryView, type WebhookView, webhookDeliveryView, webhookView } from './webhook-views';
import { type SessionScope, assertInScope } from '../auth/session-scope';

/** What the API does with webhooks; the controller only parses and routes. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly database: Database,
    private readonly queue: QueuePort,
    private readonly sender: WebhookSender,
    private readonly settings: WebhookSettings,
    private readonly directory: WebhookDirectory,
  ) {}

  /** The secret is in the answer this once and never again. */
  async create(sessionId: string, input: CreateWebhookInput): Promise<WebhookView & { secret: string }> {
    if (!(await this.database.sessions.get(sessionId))) throw new ServiceError(ErrorCode.NotFound, `session ${sessionId} not found`);
    await this.vet(input.url);
    const secret = input.secret ?? generateWebhookSecret();
    const webhook = await this.database.webhooks.create({
      sessionId,
      url: input.url,
      events: input.events,
      secret,
      headers: input.headers,
      active: input.active,
      retryAttempts: input.retry.attempts,
      retryBackoffMs: input.retry.backoffMs,
    });
    this.directory.invalidate();
    return { ...webhookView(webhook), secret };
  }

  async listForSession(sessionId: string): Promise<WebhookView[]> {
    if (!(await this.database.sessions.get(sessionId))) throw new ServiceError(ErrorCode.NotFound, `session ${sessionId} not found`);
    return (await this.database.webhooks.listBySession(sessionId)).map(webhookView);
  }

  async get(id: string, scope: SessionScope): Promise<WebhookView> {
    return webhookView(await this.require(id, scope));
  }

  async update(id: string, input: UpdateWebhookInput, scope: SessionScope): Promise<WebhookView> {
    await this.require(id, scope);
    if (input.url !== undefined) await this.vet(input.url);
    const changes: WebhookChanges = {};
    if (input.url !== undefined) changes.url = input.url;
    if (input.events !== undefined) changes.events = input.events;
    if (input.headers !== undefined) changes.headers = input.headers;
    if (input.active !== undefined) changes.active = input.active;
    if (input.retry?.attempts !== undefined) changes.retryAttempts = input.retry.attempts;
    if (input.retry?.backoffMs !== undefined) changes.retryBackoffMs = input.retry.backoffMs;
    const updated = await this.database.webhooks.update(id, changes);
    this.directory.invalidate();
    return webhookView(updated);
  }

  async delete(id: string, scope: SessionScope): Promise<void> {
    await this.require(id, scope);
    const deleted = await this.database.webhooks.delete(id);
    this.directory.invalidate();
    if (!deleted) throw new ServiceError(ErrorCode.NotFound, `webhook ${id} not found`);
  }

  /**
   * A new signing secret (given or generated), shown in the answer this once. The current one
   * goes on signing beside it for `graceSeconds` (not at all for 0), so receivers can switch
   * without a failed delivery; a rotation during a grace period ends the older secret's.
   */
  async rotateSecret(id: string, input: RotateWebhookSecretInput, scope: SessionScope): Promise<RotatedWebhookSecret & { sessionId: string }> {
    const webhook = await this.require(id, scope);
    if (input.secret === webhook.secret) throw new ServiceError(ErrorCode.ValidationFailed, 'the new secret must differ from the current one');
    const secret = input.secret ?? generateWebhookSecret();
    const previousSecretExpiresAt = input.graceSeconds > 0 ? new Date(Date.now() + input.graceSeconds * 1000) : null;
    await this.database.webhooks.rotateSecret(id, secret, previousSecretExpiresAt);
    this.directory.invalidate();
    return { id, sessionId: webhook.sessionId, secret, previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null };
  }

  /** One signed `webhook.test` POST, now, without retries or a delivery row. */
  async test(id: string, scope: SessionScope): Promise<WebhookResponse & { id: string }> {
    const webhook = await this.require(id, scope);
    const deliveryId = `msg_test_${randomUUID().replace(/-/g, '')}`;
    const body = JSON.stringify({
      id: deliveryId,
      type: 'webhook.test',
      version: EVENT_ENVELOPE_VERSION,
      sessionId: webhook.sessionId,
      occurredAt: new Date().toISOString(),
      data: { webhookId: webhook.id },
    });
    const secrets = signingSecrets(webhook, Date.now());
    return { id: deliveryId, ...(await this.sender.send({ url: webhook.url, id: deliveryId, secrets, body, headers: webhook.headers })) };
  }

  async deliveries(id: string, query: { status?: 'pending' | 'delivered' | 'dead'; limit: number; cursor?: string }, scope: SessionScope) {
    await this.require(id, scope);
    const page = await this.database.webhookDeliveries.list(id, query);
    return { items: page.items.map(webhookDeliveryView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** A new round of tries for a delivered or dead delivery (CONFLICT while it is pending). */
  async redeliver(webhookId: string, deliveryId: string, scope: SessionScope): Promise<WebhookDeliveryView> {
    await this.require(webhookId, scope);
    const existing = await this.database.webhookDeliveries.get(deliveryId);
    if (!existing || existing.webhookId !== webhookId) throw new ServiceError(ErrorCode.NotFound, `delivery ${deliveryId} not found`);
    const row = await this.database.webhookDeliveries.redeliver(deliveryId);
    await enqueueNextAttempt(this.queue, row);
    return webhookDeliveryView(row);
  }

  /** The webhook, when it exists and belongs to a session of the caller's key. */
  private async require(id: string, scope: SessionScope): Promise<WebhookEntity> {
    const webhook = await this.database.webhooks.get(id);
    if (!webhook) throw new ServiceError(ErrorCode.NotFound, `webhook ${id} not found`);
    assertInScope(scope, webhook.sessionId);
    return webhook;
  }

  /** Refused at registration already, so a bad URL never waits for its first delivery to fail. */
  private async vet(url: string): Promise<void> {
    await assertPublicUrl(url, { allowedHosts: this.settings.allowedHosts, resolve: this.sender.resolver });
  }
}
