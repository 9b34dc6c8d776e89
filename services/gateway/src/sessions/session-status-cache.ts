import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { CacheKeys, CachePort, ReadThroughCache } from '@plugboard/cache';
import type { SessionStatusValue } from '@plugboard/contracts';

/** What `GET /api/sessions/:id/status` answers. */
export interface SessionStatusBody {
  id: string;
  status: SessionStatusValue;
}

/**
 * Session status through the cache: read-through from the session-worker, and kept fresh by
 * the `session.status` events (see `SessionCacheEvents`), so a status read rarely crosses the bus.
 */
@Injectable()
export class SessionStatusCache {
  private readonly ttlSeconds: number;

  constructor(
    private readonly cache: CachePort,
    private readonly readThrough: ReadThroughCache,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlSeconds = config.CACHE_TTL_SESSION_STATUS_S;
  }

  /** The cached status, or `load()`'s, remembered for CACHE_TTL_SESSION_STATUS_S. */
  get(sessionId: string, load: () => Promise<SessionStatusBody>): Promise<SessionStatusBody> {
    const key = CacheKeys.sessionStatus(sessionId);
    // A hit costs one cache read and one promise; only a miss goes through the read-through (one load for concurrent misses).
    return this.cache.get<SessionStatusBody>(key).then((hit) => hit ?? this.readThrough.getOrLoad(key, this.ttlSeconds, load));
  }

  /** The cached status only, null when there is none: for a caller that leaves misses to `get`. */
  cached(sessionId: string): Promise<SessionStatusBody | null> {
    return this.cache.get<SessionStatusBody>(CacheKeys.sessionStatus(sessionId));
  }

  /** Records the status a `session.status` event announced. */
  async changed(sessionId: string, status: SessionStatusValue): Promise<void> {
    const key = CacheKeys.sessionStatus(sessionId);
    // A stop precedes every delete: dropping (not setting) then keeps a deleted session from lingering as "stopped".
    if (status === 'stopped') return this.readThrough.invalidate(key);
    await this.readThrough.put(key, { id: sessionId, status } satisfies SessionStatusBody, this.ttlSeconds);
  }
}
