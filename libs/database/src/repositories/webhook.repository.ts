import { type EntityManager, type MikroORM, raw } from '@mikro-orm/core';
import { DatabaseError } from '../database.errors';
import { WebhookEntity } from '../entities/webhook.entity';
import { guardDriverErrors } from './guard-driver-errors';

export type NewWebhook = Pick<WebhookEntity, 'sessionId' | 'url' | 'events' | 'secret' | 'headers' | 'active' | 'retryAttempts' | 'retryBackoffMs'>;

export type WebhookChanges = Partial<Pick<WebhookEntity, 'url' | 'events' | 'headers' | 'active' | 'retryAttempts' | 'retryBackoffMs'>>;

/** Webhooks of sessions. Each call works on its own forked EntityManager. */
export class WebhookRepository {
  constructor(private readonly orm: MikroORM) {}

  create(input: NewWebhook): Promise<WebhookEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const webhook = em.create(WebhookEntity, input);
      await em.persistAndFlush(webhook);
      return webhook;
    });
  }

  get(id: string): Promise<WebhookEntity | null> {
    return guardDriverErrors(() => this.em().findOne(WebhookEntity, { id }));
  }

  /** A session's webhooks, oldest first. */
  listBySession(sessionId: string): Promise<WebhookEntity[]> {
    return guardDriverErrors(() => this.em().find(WebhookEntity, { sessionId }, { orderBy: { createdAt: 'asc', id: 'asc' } }));
  }

  /** The webhooks an event of this session may go to (type filters are applied by the caller). */
  listActiveForSession(sessionId: string): Promise<WebhookEntity[]> {
    return guardDriverErrors(() => this.em().find(WebhookEntity, { sessionId, active: true }, { orderBy: { createdAt: 'asc', id: 'asc' } }));
  }

  /** NOT_FOUND when missing. */
  update(id: string, changes: WebhookChanges): Promise<WebhookEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const affected = await em.nativeUpdate(WebhookEntity, { id }, { ...changes, updatedAt: new Date() });
      if (affected === 0) throw DatabaseError.notFound('webhook', id);
      return em.fork().findOneOrFail(WebhookEntity, { id });
    });
  }

  /**
   * `secret` becomes the signing secret and the current one the previous, which signs too until
   * `previousExpiresAt` (none is kept when null), replacing any older previous one. One UPDATE,
   * so two rotations at once cannot both keep the same secret. NOT_FOUND when missing.
   */
  rotateSecret(id: string, secret: string, previousExpiresAt: Date | null): Promise<WebhookEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const affected = await em.nativeUpdate(
        WebhookEntity,
        { id },
        { secret, previousSecret: previousExpiresAt ? raw('secret') : null, previousSecretExpiresAt: previousExpiresAt, updatedAt: new Date() },
      );
      if (affected === 0) throw DatabaseError.notFound('webhook', id);
      return em.fork().findOneOrFail(WebhookEntity, { id });
    });
  }

  /** Deletes the webhook and its deliveries (ON DELETE CASCADE); false when it did not exist. */
  delete(id: string): Promise<boolean> {
    return guardDriverErrors(async () => (await this.em().nativeDelete(WebhookEntity, { id })) > 0);
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}
