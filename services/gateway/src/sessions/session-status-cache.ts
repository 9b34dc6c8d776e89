import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { CacheKeys, CachePort, ReadThroughCache } from '@plugboard/cache';
import { SessionStatusEventSchema, type SessionStatusValue, eventSubject } from '@plugboard/contracts';
import { BusPort, type BusSubscription } from '@plugboard/messaging';
import { ServiceLogger } from '@plugboard/service-kit';

/** What `GET /api/sessions/:id/status` answers. */
export interface SessionStatusBody {
  id: string;
  status: SessionStatusValue;
}

/**
 * Session status through the cache: read-through from the session-worker, and kept fresh by
 * the `session.status` events, so a status read rarely crosses the bus.
 */
@Injectable()
export class SessionStatusCache implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription: BusSubscription | undefined;
  private readonly ttlSeconds: number;

  constructor(
    private readonly cache: CachePort,
    private readonly readThrough: ReadThroughCache,
    private readonly bus: BusPort,
    private readonly logger: ServiceLogger,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlSeconds = config.CACHE_TTL_SESSION_STATUS_S;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.connect();
    this.subscription = await this.bus.subscribeEvents({ filter: eventSubject('*', 'session.status') }, async (event) => {
      const parsed = SessionStatusEventSchema.safeParse(event.data);
      if (!parsed.success) return;
      const key = CacheKeys.sessionStatus(event.sessionId);
      // A stop precedes every delete: dropping (not setting) then keeps a deleted session from lingering as "stopped".
      if (parsed.data.status === 'stopped') return this.cache.delete(key);
      const body: SessionStatusBody = { id: event.sessionId, status: parsed.data.status };
      await this.cache.set(key, body, this.ttlSeconds);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.unsubscribe().catch((error) => this.logger.warn(`status cache unsubscribe: ${String(error)}`));
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

  /** Forgets everything cached about a session (stop, logout, delete). */
  async forget(sessionId: string): Promise<void> {
    await this.cache.deleteByPrefix(CacheKeys.sessionPrefix(sessionId));
  }
}
