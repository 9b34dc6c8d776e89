import type { SocketHealth } from '@plugboard/contracts';
import {
  type EngineEvent,
  EnginePort,
  EngineSession,
  type EngineSessionOptions,
  type SendLookup,
  type SendResult,
} from '../../engine/engine.port';

/** An engine session driven by the test: it emits what the test tells it to. */
export class FakeEngineSession extends EngineSession {
  readonly listeners = new Set<(event: EngineEvent) => void>();
  initialized = 0;
  destroyed = false;
  loggedOut = false;

  constructor(readonly options: EngineSessionOptions) {
    super();
  }

  async initialize(): Promise<void> {
    this.initialized++;
    this.emit({ type: 'qr', qr: `qr-${this.options.sessionId}`, expiresAt: new Date(Date.now() + 60_000) });
  }
  async requestPairingCode(): Promise<string> {
    return 'ABCD-EFGH';
  }
  async send(): Promise<SendResult> {
    return { waMessageId: 'wa-1', timestamp: new Date() };
  }
  async findSent(): Promise<SendLookup> {
    return { found: false };
  }
  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async disconnect(): Promise<void> {}
  async logout(): Promise<void> {
    this.loggedOut = true;
  }
  async destroy(): Promise<void> {
    this.destroyed = true;
  }
  emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** Records every session it makes, so a test can drive them. */
export class FakeEngine extends EnginePort {
  readonly name = 'simulator' as const;
  readonly created: FakeEngineSession[] = [];

  createSession(options: EngineSessionOptions): EngineSession {
    const session = new FakeEngineSession(options);
    this.created.push(session);
    return session;
  }
  /** The newest engine session of `sessionId`. */
  latest(sessionId: string): FakeEngineSession | undefined {
    return this.created.filter((s) => s.options.sessionId === sessionId).at(-1);
  }
  /** Engine sessions of `sessionId` not destroyed yet. */
  live(sessionId?: string): FakeEngineSession[] {
    return this.created.filter((s) => !s.destroyed && (sessionId === undefined || s.options.sessionId === sessionId));
  }
  async health(): Promise<SocketHealth> {
    return { socket: 'engine', plug: 'fake', status: 'up' };
  }
  async close(): Promise<void> {}
}
