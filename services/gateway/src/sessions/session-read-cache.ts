import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { CacheKeys, type CacheTtls, ReadThroughCache, cacheTtls } from '@plugboard/cache';
import type { ReplyOf, SessionQr, SessionView } from '@plugboard/contracts';
import type { SessionStats } from './session-stats';

export type SessionList = ReplyOf<'sessions.list'>;

/**
 * A session's details, its QR code, the list of all sessions and their stats through the
 * cache, each read-through with its own TTL. `SessionCacheEvents` drops or
 * replaces entries as `session.*` events arrive, and the routes that change a session drop
 * them at once, so a change is seen by the next read rather than after the TTL.
 */
@Injectable()
export class SessionReadCache {
  private readonly ttls: CacheTtls;

  constructor(
    private readonly readThrough: ReadThroughCache,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttls = cacheTtls(config);
  }

  /** `GET /api/sessions/:id`, kept for CACHE_TTL_SESSION_INFO_S. */
  info(sessionId: string, load: () => Promise<SessionView>): Promise<SessionView> {
    return this.readThrough.getOrLoad(CacheKeys.sessionInfo(sessionId), this.ttls.sessionInfo, load);
  }

  /** The current QR code, kept for CACHE_TTL_QR_S but never past its own expiry. */
  qr(sessionId: string, load: () => Promise<SessionQr>): Promise<SessionQr> {
    return this.readThrough.getOrLoad(CacheKeys.sessionQr(sessionId), (qr) => this.qrTtl(qr), load);
  }

  /** Every session, unfiltered (each request filters by its key's scope), kept for CACHE_TTL_SESSIONS_LIST_S. */
  list(load: () => Promise<SessionList>): Promise<SessionList> {
    return this.readThrough.getOrLoad(CacheKeys.sessionsList(), this.ttls.sessionsList, load);
  }

  /** `GET /api/sessions/stats`, unfiltered like the list, kept for CACHE_TTL_SESSIONS_STATS_S. */
  stats(load: () => Promise<SessionStats>): Promise<SessionStats> {
    return this.readThrough.getOrLoad(CacheKeys.sessionsStats(), this.ttls.sessionsStats, load);
  }

  /** A `session.qr` event: the new code replaces the old one. */
  async qrShown(sessionId: string, qr: SessionQr): Promise<void> {
    const key = CacheKeys.sessionQr(sessionId);
    const ttl = this.qrTtl(qr);
    await (ttl > 0 ? this.readThrough.put(key, qr, ttl) : this.readThrough.invalidate(key));
  }

  /** The session changed (status, pairing, desired state): its details, QR, the list and stats are dropped; status is left to its own cache. */
  async changed(sessionId: string): Promise<void> {
    await Promise.all([
      this.readThrough.invalidate(CacheKeys.sessionInfo(sessionId)),
      this.readThrough.invalidate(CacheKeys.sessionQr(sessionId)),
      this.listChanged(),
    ]);
  }

  /** A session was created (or one changed): the entries that cover every session, the list and the stats, are dropped. */
  async listChanged(): Promise<void> {
    await Promise.all([this.readThrough.invalidate(CacheKeys.sessionsList()), this.readThrough.invalidate(CacheKeys.sessionsStats())]);
  }

  /** Everything cached about a session, status included, the list and stats: after a stop, start, logout or delete here. */
  async forget(sessionId: string): Promise<void> {
    await Promise.all([this.readThrough.invalidatePrefix(CacheKeys.sessionPrefix(sessionId)), this.listChanged()]);
  }

  /** Seconds until the code expires, capped by the setting; 0 or less once it has. */
  private qrTtl(qr: SessionQr): number {
    const secondsLeft = (Date.parse(qr.expiresAt) - Date.now()) / 1_000;
    return Number.isNaN(secondsLeft) ? 0 : Math.min(this.ttls.qr, secondsLeft);
  }
}
