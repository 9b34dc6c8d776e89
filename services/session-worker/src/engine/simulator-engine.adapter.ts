import type { SocketHealth } from '@plugboard/contracts';
import type { SimulatorRepository } from '@plugboard/database';
import { EngineError } from './engine.errors';
import type { EngineLogger } from './engine-logger';
import { EnginePort, type EngineSession, type EngineSessionOptions } from './engine.port';
import { SIMULATOR_LABEL, SIMULATOR_PUSH_NAME, simulatorPhone } from './simulator-identity';
import { type SimulatorInbound, SimulatorSession, type SimulatorTiming } from './simulator-session';

export interface SimulatorPairing {
  sessionId: string;
  phone: string;
  pushName: string;
  pairedAt: string;
}

export interface SimulatorFault {
  kind: 'disconnect' | 'send_failure';
  /** For `send_failure`: how many of the next sends fail (default 1). */
  count?: number;
}

/**
 * The simulator plug: a deterministic stand-in for WhatsApp (never WhatsApp itself) whose
 * phone side lives in the database. Besides the port, it offers the admin controls a test or
 * demo needs: pair, deliver an inbound message, inject a fault.
 */
export class SimulatorEngineAdapter extends EnginePort {
  readonly name = 'simulator' as const;
  private readonly sessions = new Map<string, SimulatorSession>();

  constructor(
    private readonly repository: SimulatorRepository,
    private readonly timing: SimulatorTiming,
    private readonly logger: EngineLogger,
  ) {
    super();
  }

  override createSession({ sessionId }: EngineSessionOptions): EngineSession {
    const previous = this.sessions.get(sessionId);
    if (previous) {
      this.logger.warn(`${SIMULATOR_LABEL}: a second session object for "${sessionId}" replaces the first`, 'SimulatorEngine');
      void previous.destroy();
    }
    const session: SimulatorSession = new SimulatorSession(sessionId, this.repository, this.timing, this.logger, () => {
      if (this.sessions.get(sessionId) === session) this.sessions.delete(sessionId);
    });
    this.sessions.set(sessionId, session);
    return session;
  }

  /** Pairs the simulated phone as if its QR code had been scanned; a session showing QR codes here goes ready. */
  async pair(sessionId: string): Promise<SimulatorPairing> {
    const device = await this.repository.pair(sessionId, simulatorPhone(sessionId), SIMULATOR_PUSH_NAME);
    this.sessions.get(sessionId)?.paired(device);
    return {
      sessionId,
      phone: device.phone ?? simulatorPhone(sessionId),
      pushName: device.pushName ?? SIMULATOR_PUSH_NAME,
      pairedAt: (device.pairedAt ?? new Date()).toISOString(),
    };
  }

  /** Delivers a message to a ready session running here, as if a contact had sent it. */
  async inject(sessionId: string, message: SimulatorInbound): Promise<{ waMessageId: string }> {
    const session = this.sessions.get(sessionId);
    if (!session) throw EngineError.sessionNotRunning(sessionId);
    return { waMessageId: await session.deliver(message) };
  }

  /**
   * `disconnect` drops a session running here (it emits `disconnected`); `send_failure` makes
   * the next `count` sends of the session fail, wherever it runs (the count is in the database).
   */
  async injectFault(
    sessionId: string,
    fault: SimulatorFault,
  ): Promise<{ sessionId: string; kind: SimulatorFault['kind']; pendingSendFailures: number }> {
    if (fault.kind === 'send_failure') {
      const pendingSendFailures = await this.repository.addSendFailures(sessionId, fault.count ?? 1);
      return { sessionId, kind: fault.kind, pendingSendFailures };
    }
    const session = this.sessions.get(sessionId);
    if (!session) throw EngineError.sessionNotRunning(sessionId);
    session.dropConnection();
    const device = await this.repository.getDevice(sessionId);
    return { sessionId, kind: fault.kind, pendingSendFailures: device?.pendingSendFailures ?? 0 };
  }

  override async health(): Promise<SocketHealth> {
    return { socket: 'engine', plug: 'simulator', status: 'up', detail: SIMULATOR_LABEL };
  }

  override async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.destroy()));
  }
}
