import type { SessionQr, SessionStatusValue } from '@plugboard/contracts';
import type { SessionRepository, SessionRuntimeChanges } from '@plugboard/database';
import type { BusPort } from '@plugboard/messaging';
import type { EngineEvent, EnginePort, EngineSession } from '../engine/engine.port';
import { reconnectDelay } from './reconnect-backoff';
import { publishSessionEvent } from './session-events';
import { statusForEngineEvent } from './session-status';

export interface SessionRunnerOptions {
  sessionId: string;
  /** Lease generation this runner holds: every write is fenced by it. */
  generation: number;
  status: SessionStatusValue;
  config: Record<string, unknown>;
  engine: EnginePort;
  sessions: SessionRepository;
  bus: BusPort;
  reconnectMaxMs: number;
  log: (message: string) => void;
  /** Called once a fenced write is refused: another worker holds the session now. */
  onFenced: () => void;
  /** Every engine event, for features built on a running session (messages, acks). */
  onEngineEvent?: (event: EngineEvent) => void;
}

/**
 * One session running on this worker under one lease generation: drives its engine session,
 * persists every status change (fenced) and publishes it as events, reconnects a dropped
 * connection with capped exponential backoff.
 */
export class SessionRunner {
  private engineSession: EngineSession | undefined;
  private unsubscribe: (() => void) | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private currentStatus: SessionStatusValue;
  private qr: SessionQr | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly statusListeners = new Set<(status: SessionStatusValue) => void>();

  constructor(private readonly options: SessionRunnerOptions) {
    this.currentStatus = options.status;
  }

  get sessionId(): string {
    return this.options.sessionId;
  }

  get generation(): number {
    return this.options.generation;
  }

  get status(): SessionStatusValue {
    return this.currentStatus;
  }

  /** The latest QR code while the session waits for a scan. */
  get currentQr(): SessionQr | undefined {
    return this.currentStatus === 'qr_ready' ? this.qr : undefined;
  }

  /** The engine session while it runs (sending, pairing codes, simulator controls). */
  get engine(): EngineSession | undefined {
    return this.engineSession;
  }

  /**
   * Calls `listener` with every status this runner records from now on (not the current one:
   * before the first start that is still the previous owner's). Returns the unsubscribe.
   */
  onStatus(listener: (status: SessionStatusValue) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Opens the engine session; progress arrives as events. */
  async start(): Promise<void> {
    this.closed = false;
    this.reconnectAttempt = 0;
    await this.open();
  }

  /**
   * Ends the engine session cleanly (`logout` also forgets the login) and records `status`.
   * Returns false when the write was fenced off (the lease moved on).
   */
  async stop(status: SessionStatusValue, reason: string, options: { logout?: boolean } = {}): Promise<boolean> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const session = this.detach();
    if (session) {
      await (options.logout ? session.logout() : session.disconnect()).catch(() => undefined);
      await session.destroy().catch(() => undefined);
      this.options.log(`engine stopped ${this.sessionId} gen ${this.generation} at ${Date.now()}`);
    }
    return this.enqueue(() => this.transition({ status, reason }));
  }

  /** The lease is gone: tear the engine session down at once, writing nothing. */
  async abort(reason: string): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const session = this.detach();
    if (!session) return;
    this.options.log(`engine stopped ${this.sessionId} gen ${this.generation} at ${Date.now()} (${reason})`);
    await session.destroy().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const session = this.options.engine.createSession({ sessionId: this.sessionId, config: this.options.config });
    this.engineSession = session;
    this.unsubscribe = session.onEvent((event) => this.onEvent(session, event));
    this.options.log(`engine started ${this.sessionId} gen ${this.generation} at ${Date.now()}`);
    await this.enqueue(() => this.transition({ status: 'initializing' }));
    try {
      await session.initialize();
    } catch (error) {
      if (session !== this.engineSession) return;
      await this.enqueue(() => this.transition({ status: 'failed', reason: errorText(error) }));
    }
  }

  private detach(): EngineSession | undefined {
    const session = this.engineSession;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.engineSession = undefined;
    return session;
  }

  private onEvent(session: EngineSession, event: EngineEvent): void {
    if (session !== this.engineSession) return; // a late event of a session already replaced
    this.options.onEngineEvent?.(event);
    const change = statusForEngineEvent(event);
    if (!change) return;
    void this.enqueue(async () => {
      if (event.type === 'qr') this.qr = { qr: event.qr, expiresAt: event.expiresAt.toISOString() };
      const extra: SessionRuntimeChanges = {};
      if (event.type === 'ready') Object.assign(extra, { phone: event.phone, pushName: event.pushName ?? null, connectedAt: new Date() });
      if (!(await this.transition(change, extra))) return;
      await this.publishDetail(event);
      if (event.type === 'ready') this.reconnectAttempt = 0;
      if (event.type === 'disconnected') this.scheduleReconnect();
    });
  }

  /** Persists and announces a status change; false when fenced off. Same status again is only re-announced for QR rotation. */
  private async transition(change: { status: SessionStatusValue; reason?: string }, extra: SessionRuntimeChanges = {}): Promise<boolean> {
    const previous = this.currentStatus;
    const changes: SessionRuntimeChanges = { status: change.status, lastActiveAt: new Date(), ...extra };
    if (change.status === 'failed') changes.lastError = change.reason ?? 'failed';
    if (change.status === 'ready') changes.lastError = null;
    const written = await this.options.sessions.updateIfOwner(this.sessionId, this.generation, changes).catch(() => false);
    if (!written) {
      this.options.onFenced();
      return false;
    }
    this.currentStatus = change.status;
    this.statusListeners.forEach((listener) => listener(change.status));
    if (previous !== change.status) {
      const data = { status: change.status, previous, generation: this.generation, ...(change.reason ? { reason: change.reason } : {}) };
      await publishSessionEvent(this.options.bus, this.sessionId, 'session.status', data).catch(() => undefined);
    }
    return true;
  }

  private async publishDetail(event: EngineEvent): Promise<void> {
    const bus = this.options.bus;
    const id = this.sessionId;
    if (event.type === 'qr') await publishSessionEvent(bus, id, 'session.qr', { qr: event.qr, expiresAt: event.expiresAt.toISOString() });
    if (event.type === 'authenticated') await publishSessionEvent(bus, id, 'session.authenticated', {});
    if (event.type === 'disconnected') await publishSessionEvent(bus, id, 'session.disconnected', { reason: event.reason });
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = reconnectDelay(this.reconnectAttempt++, this.options.reconnectMaxMs);
    this.options.log(`session ${this.sessionId} disconnected; reconnecting in ${delay} ms (attempt ${this.reconnectAttempt})`);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    const old = this.detach();
    await old?.destroy().catch(() => undefined);
    if (this.closed) return;
    await this.open();
  }

  /** Status writes and events of one session happen one after another, in event order. */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
