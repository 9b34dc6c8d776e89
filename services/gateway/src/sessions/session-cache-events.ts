import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type EventEnvelope, SessionQrSchema, SessionStatusEventSchema } from '@plugboard/contracts';
import { BusPort, type BusSubscription } from '@plugboard/messaging';
import { ServiceLogger } from '@plugboard/service-kit';
import { SessionReadCache } from './session-read-cache';
import { SessionStatusCache } from './session-status-cache';

/** Every session event of every session: `wa.events.<id>.session.<what>`. */
const SESSION_EVENTS = 'wa.events.*.session.*';

/**
 * Keeps the session caches current from the session-worker's `session.*` events. One
 * subscription delivers them in stream order, which the QR relies on: a `session.qr` is never
 * applied after the status change (paired, stopped) that ended its code.
 */
@Injectable()
export class SessionCacheEvents implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription: BusSubscription | undefined;

  constructor(
    private readonly bus: BusPort,
    private readonly statusCache: SessionStatusCache,
    private readonly readCache: SessionReadCache,
    private readonly logger: ServiceLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.connect();
    this.subscription = await this.bus.subscribeEvents({ filter: SESSION_EVENTS }, (event) => this.apply(event));
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.unsubscribe().catch((error) => this.logger.warn(`session cache unsubscribe: ${String(error)}`));
  }

  /** What one event does to the caches. */
  private async apply(event: EventEnvelope): Promise<void> {
    const { sessionId } = event;
    // Made through any gateway: the list and stats (and, once deleted, all about the session) go at once, not after their TTLs.
    if (event.type === 'session.created') return this.readCache.listChanged();
    if (event.type === 'session.deleted') return this.readCache.forget(sessionId);
    if (event.type === 'session.qr') {
      const qr = SessionQrSchema.safeParse(event.data);
      return qr.success ? this.readCache.qrShown(sessionId, qr.data) : this.readCache.changed(sessionId);
    }
    // Any other session event (status, authenticated, disconnected) says details, QR, list and stats may have changed.
    await this.readCache.changed(sessionId);
    if (event.type !== 'session.status') return;
    const parsed = SessionStatusEventSchema.safeParse(event.data);
    if (parsed.success) await this.statusCache.changed(sessionId, parsed.data.status);
  }
}
