import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  ErrorCode,
  type RequestOf,
  type RequestSubject,
  SubjectMap,
} from '@plugboard/contracts';
import { SessionRepository } from '@plugboard/database';
import type { MessageContext } from '@plugboard/messaging';
import { ServiceError } from '@plugboard/service-kit';
import { SimulatorEngineAdapter } from '../engine/simulator-engine.adapter';
import { SessionEngines } from './session-engines';
import { SessionSupervisor } from './session-supervisor';

type SimulatorCommand = 'simulator.pair' | 'simulator.inbound' | 'simulator.fault';

/** A command answered by a feature built on top of sessions (sending), registered at module init. */
export type SessionCommandHandler = (sessionId: string, input: Record<string, unknown>) => Promise<unknown>;

/**
 * Answers `wa.session.<id>.<command>` for the sessions this worker owns: the supervisor's one
 * subscription per session lands here, and the command is validated against its own schema.
 */
@Injectable()
export class SessionCommands implements OnModuleInit {
  private readonly handlers = new Map<string, SessionCommandHandler>();

  constructor(
    private readonly supervisor: SessionSupervisor,
    private readonly sessions: SessionRepository,
    private readonly engines: SessionEngines,
  ) {}

  onModuleInit(): void {
    this.supervisor.setDispatcher((id, payload, context) => this.dispatch(id, payload, context));
  }

  /** Lets a feature answer `command` (e.g. `send`) without this class knowing the feature. */
  register(command: 'send', handler: SessionCommandHandler): void {
    this.handlers.set(command, handler);
  }

  /** Runs one command on an owned session; unknown commands are NOT_FOUND, bad payloads VALIDATION_FAILED. */
  async dispatch(sessionId: string, payload: unknown, context: MessageContext): Promise<unknown> {
    const command = context.subject.slice(`wa.session.${sessionId}.`.length);
    const key = `wa.session.${command}`;
    if (key === 'wa.session.any' || !Object.prototype.hasOwnProperty.call(SubjectMap, key)) {
      throw new ServiceError(ErrorCode.NotFound, `unknown session command "${command}"`);
    }
    const parsed = SubjectMap[key as RequestSubject].request.safeParse(payload);
    if (!parsed.success) {
      throw new ServiceError(ErrorCode.ValidationFailed, `invalid ${command} request`, parsed.error.issues);
    }
    const input = parsed.data as Record<string, unknown>;
    switch (command) {
      case 'start':
        return this.supervisor.startOwned(sessionId);
      case 'stop':
        return this.supervisor.stopOwned(sessionId);
      case 'logout':
        return this.supervisor.stopOwned(sessionId, { logout: true });
      case 'status':
        return { status: this.runner(sessionId).status, generation: this.runner(sessionId).generation, owner: this.supervisor.instanceId };
      case 'qr':
        return this.qr(sessionId);
      case 'pair-code':
        return { code: await this.liveEngine(sessionId).requestPairingCode(String(input.phone)) };
      case 'send':
        return this.registered(command, sessionId, input);
      case 'simulator.pair':
      case 'simulator.inbound':
      case 'simulator.fault':
        return this.simulator(sessionId, command, input);
      default:
        throw new ServiceError(ErrorCode.NotFound, `unknown session command "${command}"`);
    }
  }

  private registered(command: string, sessionId: string, input: Record<string, unknown>): Promise<unknown> {
    const handler = this.handlers.get(command);
    // Retryable: the sender's job tries again once this worker has finished booting.
    if (!handler) throw new ServiceError(ErrorCode.ServiceUnavailable, `"${command}" is not ready on this worker yet`, { retryAfterMs: 1000 });
    return handler(sessionId, input);
  }

  private runner(sessionId: string) {
    const runner = this.supervisor.runner(sessionId);
    if (!runner) throw new ServiceError(ErrorCode.ServiceUnavailable, `session ${sessionId} moved to another worker`, { retryAfterMs: 1000 });
    return runner;
  }

  private qr(sessionId: string) {
    const runner = this.runner(sessionId);
    const qr = runner.currentQr;
    if (!qr) throw new ServiceError(ErrorCode.Conflict, `no QR code: the session is ${runner.status}`, { status: runner.status });
    return qr;
  }

  private liveEngine(sessionId: string) {
    const runner = this.runner(sessionId);
    if (!runner.engine || runner.status === 'failed') {
      throw new ServiceError(ErrorCode.Conflict, `the session is ${runner.status}`, { status: runner.status });
    }
    return runner.engine;
  }

  /** The simulator's admin controls; any other engine is a conflict. */
  private async simulator(sessionId: string, command: SimulatorCommand, input: Record<string, unknown>): Promise<unknown> {
    const runner = this.runner(sessionId);
    const session = await this.sessions.get(sessionId);
    if (session?.engine !== 'simulator') {
      throw new ServiceError(ErrorCode.Conflict, 'only sessions on the simulator engine accept simulator commands', {
        status: runner.status,
        engine: session?.engine,
      });
    }
    const engine = this.engines.get('simulator');
    if (!(engine instanceof SimulatorEngineAdapter)) throw new ServiceError(ErrorCode.Internal, 'the simulator engine has no admin controls');
    if (command === 'simulator.pair') return engine.pair(sessionId);
    this.liveEngine(sessionId);
    if (command === 'simulator.fault') {
      const { kind, count } = input as RequestOf<'wa.session.simulator.fault'>;
      return engine.injectFault(sessionId, { kind, count });
    }
    const { sessionId: _ignored, ...message } = input as RequestOf<'wa.session.simulator.inbound'>;
    return engine.inject(sessionId, message);
  }
}
