import { Injectable } from '@nestjs/common';
import { Database, type WebhookEntity } from '@plugboard/database';

/** How long a read of webhooks is reused by fan-out and delivery. */
export const WEBHOOK_DIRECTORY_TTL_MS = 2_000;

interface Cached<T> {
  value: Promise<T>;
  expiresAt: number;
}

/**
 * Short-lived cache of webhooks for the hot paths (fan-out reads a session's webhooks for
 * every event, delivery reads the webhook for every try). Changes made through this gateway
 * invalidate it at once; other replicas see them within the TTL, which loses no event:
 * every replica fans out every event and rows are idempotent, so the replica that made the
 * change adds any row a stale one missed, and a try reads its delivery row fresh. A cached
 * webhook carries its previous secret and that secret's expiry, so a try finds the secrets
 * that sign it without a read; a rotation reaches other replicas within the TTL as well.
 */
@Injectable()
export class WebhookDirectory {
  private readonly bySession = new Map<string, Cached<WebhookEntity[]>>();
  private readonly byId = new Map<string, Cached<WebhookEntity | null>>();

  constructor(private readonly database: Database) {}

  /** The active webhooks of a session. */
  activeForSession(sessionId: string): Promise<WebhookEntity[]> {
    return this.cached(this.bySession, sessionId, () => this.database.webhooks.listActiveForSession(sessionId));
  }

  /** One webhook, or null when it does not exist. */
  get(id: string): Promise<WebhookEntity | null> {
    return this.cached(this.byId, id, () => this.database.webhooks.get(id));
  }

  /** Forgets everything: called on every webhook change, and when a fan-out write failed (a webhook may be gone). */
  invalidate(): void {
    this.bySession.clear();
    this.byId.clear();
  }

  private cached<T>(map: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = map.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const entry: Cached<T> = { value: load(), expiresAt: now + WEBHOOK_DIRECTORY_TTL_MS };
    map.set(key, entry);
    // A failed read is not kept: the next caller asks the database again.
    entry.value.catch(() => {
      if (map.get(key) === entry) map.delete(key);
    });
    return entry.value;
  }
}
