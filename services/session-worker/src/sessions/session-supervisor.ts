import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { ErrorCode, type SessionStatusValue, type SessionView, sessionCommandsPattern, workerDrainSubject } from '@plugboard/contracts';
import { type SessionEntity, SessionRepository } from '@plugboard/database';
import { BusPort, type BusSubscription, type MessageContext } from '@plugboard/messaging';
import { ServiceContext, ServiceError, ServiceLogger } from '@plugboard/service-kit';
import type { EngineEvent, EnginePort } from '../engine/engine.port';
import { SessionEngines } from './session-engines';
import { SessionRunner } from './session-runner';
import { type SessionSettings, sessionSettingsOf } from './session-settings';
import { toSessionView } from './session-view';

/** A session this worker holds the lease of. */
interface OwnedSession {
  runner: SessionRunner;
  commands?: BusSubscription;
  expiry?: NodeJS.Timeout;
}

/**
 * Told when this worker starts and stops owning a session, for work that runs only on the
 * owner (the send loop). `ended` is awaited before the engine stops on a release, so work
 * in flight can finish; on a loss the engine is torn down at the same time.
 */
export interface OwnershipListener {
  adopted(sessionId: string, runner: SessionRunner): void;
  ended(sessionId: string, runner: SessionRunner, how: 'released' | 'lost'): Promise<void>;
}

/** Answers the commands of a session this worker owns (set by `SessionCommands`). */
export type CommandDispatcher = (sessionId: string, payload: unknown, context: MessageContext) => Promise<unknown>;

/**
 * The lease loop of one session-worker. It claims sessions that should run (staggered engine
 * starts, up to MAX_SESSIONS_PER_WORKER), renews its leases every TTL/3 and stops a session at
 * once when a renewal is refused or the lease runs out unrenewed, subscribes to the commands
 * of the sessions it owns, and on drain releases everything so others take over at once.
 */
@Injectable()
export class SessionSupervisor implements OnApplicationBootstrap, OnModuleDestroy {
  readonly settings: SessionSettings;
  private readonly owned = new Map<string, OwnedSession>();
  /**
   * Sessions with a claim in flight. A claim by the lease's own owner succeeds (boot takes
   * back its leases that way), so a sweep racing a create-time claim would otherwise claim the
   * session a second time and run it under two generations at once.
   */
  private readonly claiming = new Set<string>();
  private renewTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private drainSubscription: BusSubscription | undefined;
  private startQueue: Promise<void> = Promise.resolve();
  private draining = false;
  private sweeping: Promise<unknown> | undefined;
  private dispatcher: CommandDispatcher | undefined;
  /** Engine events of owned sessions, for features built on running sessions. */
  readonly engineListeners = new Set<(sessionId: string, event: EngineEvent) => void>();
  /** Sessions coming and going on this worker. */
  readonly ownershipListeners = new Set<OwnershipListener>();

  constructor(
    private readonly sessions: SessionRepository,
    private readonly bus: BusPort,
    private readonly context: ServiceContext,
    private readonly logger: ServiceLogger,
    private readonly engines: SessionEngines,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.settings = sessionSettingsOf(config);
  }

  get instanceId(): string {
    return this.context.instanceId;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Where owned sessions' commands go; set once by the command handler. */
  setDispatcher(dispatcher: CommandDispatcher): void {
    this.dispatcher = dispatcher;
  }

  /** The runner of a session this worker owns. */
  runner(sessionId: string): SessionRunner | undefined {
    return this.owned.get(sessionId)?.runner;
  }

  /** Ids of the sessions this worker owns. */
  ownedIds(): string[] {
    return [...this.owned.keys()];
  }

  /** Starts the loops; the first sweep (boot) also takes back leases still in this instance's name. */
  async onApplicationBootstrap(): Promise<void> {
    await this.bus.connect();
    this.drainSubscription = await this.bus.handle('worker.drain', () => this.drain('admin request'), {
      subject: workerDrainSubject(this.instanceId),
    });
    const ttl = this.settings.leaseTtlMs;
    this.renewTimer = setInterval(() => void this.renewAll(), Math.max(100, Math.floor(ttl / 3)));
    void this.sweepLoop(true);
  }

  /** Shutdown (SIGTERM, embedded stop): drain before the bus and database close. */
  async onModuleDestroy(): Promise<void> {
    await this.drain('shutdown');
    clearInterval(this.renewTimer);
    await this.drainSubscription?.unsubscribe();
  }

  /** Claims one session now if there is room (create/start); the sweep would get it later anyway. */
  async tryClaim(sessionId: string): Promise<boolean> {
    if (this.draining || this.isHeld(sessionId) || this.owned.size >= this.settings.maxSessions) return false;
    this.claiming.add(sessionId);
    try {
      const claimedAt = Date.now();
      const generation = await this.sessions.claim(sessionId, this.instanceId, this.settings.leaseTtlMs, new Date(claimedAt));
      if (generation === null) return false;
      const session = await this.sessions.get(sessionId);
      if (!session) return false;
      await this.adopt(session, generation, claimedAt);
      return true;
    } finally {
      this.claiming.delete(sessionId);
    }
  }

  /**
   * Stops an owned session on request: desiredState stopped first (so no sweep claims it back),
   * then the engine, then the lease. `logout` also forgets the login.
   */
  async stopOwned(sessionId: string, options: { logout?: boolean } = {}): Promise<SessionView> {
    const entry = this.requireOwned(sessionId);
    await this.sessions.update(sessionId, { desiredState: 'stopped' });
    await this.release(sessionId, entry, 'stopped', options.logout ? 'logged out' : 'stopped on request', options);
    return this.view(sessionId);
  }

  /** Starts an owned session again (after a failure); a running one is a conflict. */
  async startOwned(sessionId: string): Promise<SessionView> {
    const { runner } = this.requireOwned(sessionId);
    if (runner.status !== 'failed' && runner.status !== 'stopped') {
      throw new ServiceError(ErrorCode.Conflict, `session is already ${runner.status}`, { status: runner.status });
    }
    await this.sessions.update(sessionId, { desiredState: 'running' });
    await runner.start();
    return this.view(sessionId);
  }

  /** The current row as the API shows it. */
  async view(sessionId: string): Promise<SessionView> {
    const session = await this.sessions.get(sessionId);
    if (!session) throw new ServiceError(ErrorCode.NotFound, `session ${sessionId} not found`);
    return toSessionView(session);
  }

  /**
   * Releases every lease after stopping its engine session cleanly, without touching
   * desiredState, so other workers take the sessions over at once; claims nothing afterwards.
   */
  async drain(reason: string): Promise<{ instanceId: string; released: number }> {
    this.draining = true;
    clearTimeout(this.sweepTimer);
    // A sweep in flight may still be claiming: let it finish (it releases what it claims once draining).
    await this.sweeping;
    const entries = [...this.owned.entries()];
    await Promise.all(entries.map(([id, entry]) => this.release(id, entry, 'disconnected', `worker draining (${reason})`)));
    if (entries.length) this.logger.log(`drained ${entries.length} session(s): ${reason}`);
    return { instanceId: this.instanceId, released: entries.length };
  }

  /**
   * One claim pass now (tests, and the loop). Returns when the next live lease of another
   * worker expires, so the loop can look again right then instead of up to TTL/2 later.
   */
  async sweep(boot = false): Promise<number | undefined> {
    if (this.draining) return undefined;
    const now = new Date();
    const running = await this.sessions.list({ desiredState: 'running' });
    const claimable = running.filter((s) => !this.isHeld(s.id) && (leaseFree(s, now) || (boot && s.leaseOwner === this.instanceId)));
    // Claims are independent compare-and-swaps: run them together so a takeover is not paced by round trips.
    const room = Math.max(0, this.settings.maxSessions - this.owned.size - this.claiming.size);
    const claims = claimable.slice(0, room);
    claims.forEach((session) => this.claiming.add(session.id));
    await Promise.all(
      claims.map(async (session) => {
        try {
          const claimedAt = Date.now();
          const generation = await this.sessions.claim(session.id, this.instanceId, this.settings.leaseTtlMs, new Date(claimedAt));
          if (generation !== null && !this.draining) await this.adopt(session, generation, claimedAt);
          else if (generation !== null) await this.sessions.release(session.id, this.instanceId, generation);
        } finally {
          this.claiming.delete(session.id);
        }
      }),
    );
    const expiries = running
      .filter((s) => s.leaseOwner && s.leaseOwner !== this.instanceId && s.leaseExpiresAt && s.leaseExpiresAt > now)
      .map((s) => s.leaseExpiresAt!.getTime());
    return expiries.length ? Math.min(...expiries) : undefined;
  }

  private async sweepLoop(boot = false): Promise<void> {
    const sweeping = this.sweep(boot).catch((error) => {
      this.logger.warn(`session sweep failed: ${errorText(error)}`);
      return undefined;
    });
    this.sweeping = sweeping;
    const nextExpiry = await sweeping;
    if (this.draining) return;
    // Every TTL/2 with up to TTL/10 of jitter (earlier, never later), so workers do not sweep in step;
    // sooner when another worker's lease runs out before that, and there is room to take it.
    const ttl = this.settings.leaseTtlMs;
    let delay = Math.floor(ttl / 2 - Math.random() * (ttl / 10));
    if (nextExpiry !== undefined && this.owned.size < this.settings.maxSessions) {
      delay = Math.min(delay, Math.max(10, nextExpiry - Date.now() + EXPIRY_SLACK_MS));
    }
    this.sweepTimer = setTimeout(() => void this.sweepLoop(), delay);
  }

  /** Owned, or with a claim in flight. */
  private isHeld(sessionId: string): boolean {
    return this.owned.has(sessionId) || this.claiming.has(sessionId);
  }

  private async adopt(session: SessionEntity, generation: number, claimedAt: number): Promise<void> {
    const id = session.id;
    let engine: EnginePort;
    try {
      engine = this.engines.get(session.engine);
    } catch (error) {
      this.logger.error(`session ${id} cannot run here: ${errorText(error)}`);
      await this.sessions.release(id, this.instanceId, generation).catch(() => undefined);
      return;
    }
    const runner = new SessionRunner({
      sessionId: id,
      generation,
      status: session.status,
      config: session.config,
      engine,
      sessions: this.sessions,
      bus: this.bus,
      reconnectMaxMs: this.settings.reconnectMaxMs,
      log: (message) => this.logger.log(message),
      onFenced: () => void this.lose(id, entry, 'a fenced write was refused'),
      onEngineEvent: (event) => this.engineListeners.forEach((listener) => listener(id, event)),
    });
    const entry: OwnedSession = { runner };
    this.owned.set(id, entry);
    this.armExpiry(id, entry, claimedAt + this.settings.leaseTtlMs);
    this.logger.log(`claimed session ${id} gen ${generation} at ${claimedAt}`);
    this.ownershipListeners.forEach((listener) => listener.adopted(id, runner));
    try {
      entry.commands = await this.bus.handle(
        'wa.session.any',
        (payload, context) => {
          if (!this.dispatcher) throw new ServiceError(ErrorCode.ServiceUnavailable, 'session commands are not ready yet');
          return this.dispatcher(id, payload, context);
        },
        { subject: sessionCommandsPattern(id) },
      );
    } catch (error) {
      await this.lose(id, entry, `command subscription failed: ${errorText(error)}`);
      return;
    }
    this.scheduleStart(id, runner);
  }

  /** Engine starts one after another, SESSION_START_STAGGER_MS apart, so a takeover does not start everything at once. */
  private scheduleStart(id: string, runner: SessionRunner): void {
    const stagger = this.settings.startStaggerMs;
    this.startQueue = this.startQueue.then(async () => {
      if (this.owned.get(id)?.runner !== runner) return;
      // Spaced starts, not serial ones: the next start does not wait for this one to finish.
      void runner.start().catch((error) => this.logger.warn(`session ${id} failed to start: ${errorText(error)}`));
      if (stagger > 0) await sleep(stagger);
    });
  }

  /** One renewal pass now (tests, and the loop). */
  async renewAll(): Promise<void> {
    const ttl = this.settings.leaseTtlMs;
    await Promise.all(
      [...this.owned.entries()].map(async ([id, entry]) => {
        const startedAt = Date.now();
        let renewed: boolean;
        try {
          renewed = await this.sessions.renew(id, this.instanceId, entry.runner.generation, ttl, new Date(startedAt));
        } catch (error) {
          // Unknown outcome: keep running until the local expiry timer says the lease may be gone.
          this.logger.warn(`lease renewal of ${id} failed: ${errorText(error)}`);
          return;
        }
        if (this.owned.get(id) !== entry) return;
        if (renewed) this.armExpiry(id, entry, startedAt + ttl);
        else await this.lose(id, entry, 'lease renewal refused');
      }),
    );
  }

  /**
   * Stops the session locally a little before the lease could expire in the database: the
   * expiry was computed from a time taken before the renewal, so it is never later than the
   * stored one, and no other worker can claim the session while this one still runs it.
   */
  private armExpiry(id: string, entry: OwnedSession, expiresAt: number): void {
    clearTimeout(entry.expiry);
    const margin = Math.min(1_000, Math.floor(this.settings.leaseTtlMs / 10));
    entry.expiry = setTimeout(() => void this.lose(id, entry, 'lease expired unrenewed'), Math.max(0, expiresAt - Date.now() - margin));
  }

  /**
   * The lease `entry` was adopted under is gone (or about to be): stop at once, write nothing.
   * Names the entry, so a late signal about an older generation never stops a newer one.
   */
  private async lose(id: string, entry: OwnedSession, reason: string): Promise<void> {
    if (this.owned.get(id) !== entry) return;
    this.owned.delete(id);
    clearTimeout(entry.expiry);
    this.logger.warn(`lost session ${id} gen ${entry.runner.generation}: ${reason}`);
    await Promise.all([entry.commands?.unsubscribe(), entry.runner.abort(reason), this.notifyEnded(id, entry.runner, 'lost')]);
  }

  private async release(
    id: string,
    entry: OwnedSession,
    status: SessionStatusValue,
    reason: string,
    options: { logout?: boolean } = {},
  ): Promise<void> {
    if (this.owned.get(id) !== entry) return;
    this.owned.delete(id);
    clearTimeout(entry.expiry);
    await this.notifyEnded(id, entry.runner, 'released');
    await entry.runner.stop(status, reason, options);
    await entry.commands?.unsubscribe().catch(() => undefined);
    await this.sessions.release(id, this.instanceId, entry.runner.generation).catch((error) => {
      this.logger.warn(`release of ${id} failed (its lease will expire): ${errorText(error)}`);
    });
  }

  private async notifyEnded(id: string, runner: SessionRunner, how: 'released' | 'lost'): Promise<void> {
    await Promise.all(
      [...this.ownershipListeners].map((listener) =>
        listener.ended(id, runner, how).catch((error) => this.logger.warn(`stopping work of ${id} failed: ${errorText(error)}`)),
      ),
    );
  }

  private requireOwned(sessionId: string): OwnedSession {
    const entry = this.owned.get(sessionId);
    if (!entry) throw new ServiceError(ErrorCode.ServiceUnavailable, `session ${sessionId} is not held by this worker`, { retryAfterMs: 1000 });
    return entry;
  }
}

/** Past a lease's expiry by this much before claiming it, so clock reads on both sides agree. */
const EXPIRY_SLACK_MS = 20;

/** Nobody holds the lease, or it ran out. */
function leaseFree(session: SessionEntity, now: Date): boolean {
  return !session.leaseOwner || !session.leaseExpiresAt || session.leaseExpiresAt.getTime() < now.getTime();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
