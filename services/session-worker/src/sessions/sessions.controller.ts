import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import {
  CreateSessionRequestSchema,
  ErrorCode,
  type ReplyOf,
  type RequestOf,
  type SessionView,
  sessionSubject,
} from '@plugboard/contracts';
import { type SessionEntity, SessionRepository } from '@plugboard/database';
import { BusError, BusPort } from '@plugboard/messaging';
import { ServiceError, ServiceLogger } from '@plugboard/service-kit';
import { publishSessionCreated, publishSessionDeleted } from './session-events';
import { canStart } from './session-status';
import { SessionSupervisor } from './session-supervisor';
import { toSessionView } from './session-view';

/**
 * Service-level session requests, answered by any session-worker (queue group): this service
 * owns the `sessions` table, so the gateway never reads it directly. Commands that need the
 * running engine are forwarded to the session's lease owner.
 */
@Controller()
export class SessionsController {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly supervisor: SessionSupervisor,
    private readonly bus: BusPort,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: ServiceLogger,
  ) {}

  /** Creates the row; with `start` (default) it should run, and this worker tries to claim it at once. */
  @MessagePattern('sessions.create')
  async create(@Payload() payload: RequestOf<'sessions.create'>): Promise<SessionView> {
    const request = CreateSessionRequestSchema.parse(payload);
    const session = await this.sessions.create({
      name: request.name,
      engine: request.engine ?? this.config.ENGINE_TYPE,
      desiredState: request.start ? 'running' : 'stopped',
      config: request.config ?? {},
    });
    // Before the claim, so subscribers see `session.created` ahead of its first `session.status`.
    await this.announce(publishSessionCreated(this.bus, session), 'session.created', session.id);
    if (request.start) await this.supervisor.tryClaim(session.id).catch(() => false);
    return this.supervisor.view(session.id);
  }

  @MessagePattern('sessions.list')
  async list(): Promise<ReplyOf<'sessions.list'>> {
    const now = new Date();
    return { sessions: (await this.sessions.list()).map((session) => toSessionView(session, now)) };
  }

  @MessagePattern('sessions.get')
  async get(@Payload() { id }: RequestOf<'sessions.get'>): Promise<SessionView> {
    return toSessionView(await this.require(id));
  }

  /** Stops the session on its owner first, so no engine keeps running for a deleted row. */
  @MessagePattern('sessions.delete')
  async delete(@Payload() { id }: RequestOf<'sessions.delete'>): Promise<ReplyOf<'sessions.delete'>> {
    const session = await this.require(id);
    if (this.supervisor.runner(id)) await this.supervisor.stopOwned(id);
    else if (toSessionView(session).owner) await this.forward(id, 'stop').catch(() => undefined);
    const deleted = await this.sessions.delete(id);
    // Only the request that removed the row announces it; a concurrent delete finds nothing.
    if (deleted) await this.announce(publishSessionDeleted(this.bus, session), 'session.deleted', id);
    return { deleted };
  }

  /** desiredState running; restarts on its owner, or claims it here when nobody holds it. */
  @MessagePattern('sessions.start')
  async start(@Payload() { id }: RequestOf<'sessions.start'>): Promise<SessionView> {
    const session = await this.require(id);
    if (!canStart(session.desiredState, session.status)) {
      throw new ServiceError(ErrorCode.Conflict, `session is already ${session.status}`, { status: session.status });
    }
    if (this.supervisor.runner(id)) return this.supervisor.startOwned(id);
    if (toSessionView(session).owner) {
      const forwarded = await this.forward(id, 'start');
      if (forwarded) return forwarded;
    }
    await this.sessions.update(id, { desiredState: 'running' });
    await this.supervisor.tryClaim(id).catch(() => false);
    return this.supervisor.view(id);
  }

  /** desiredState stopped; the owner stops the engine and releases the lease. */
  @MessagePattern('sessions.stop')
  async stop(@Payload() { id }: RequestOf<'sessions.stop'>): Promise<SessionView> {
    const session = await this.require(id);
    if (session.desiredState === 'stopped') {
      throw new ServiceError(ErrorCode.Conflict, `session is already ${session.status}`, { status: session.status });
    }
    if (this.supervisor.runner(id)) return this.supervisor.stopOwned(id);
    if (toSessionView(session).owner) {
      const forwarded = await this.forward(id, 'stop');
      if (forwarded) return forwarded;
    }
    // Nobody runs it (or its owner died): record the stop; no sweep claims a stopped session.
    return toSessionView(await this.sessions.update(id, { desiredState: 'stopped', status: 'stopped' }));
  }

  /** Sends a command to the owner; undefined when the owner is gone (its lease will expire). */
  private async forward(id: string, command: 'start' | 'stop'): Promise<SessionView | undefined> {
    try {
      return await this.bus.request(`wa.session.${command}`, {}, { subject: sessionSubject(id, command) });
    } catch (error) {
      if (error instanceof BusError && error.code === ErrorCode.BusNoResponders) return undefined;
      throw error;
    }
  }

  /**
   * Waits for a lifecycle event's publish; a failure is logged, not thrown: the write is done,
   * and an error would make the caller retry a create (a second session) or a delete (404).
   */
  private async announce(publishing: Promise<void>, type: 'session.created' | 'session.deleted', id: string): Promise<void> {
    await publishing.catch((error: unknown) => this.logger.warn(`${type} of session ${id} not published: ${error instanceof Error ? error.message : String(error)}`));
  }

  private async require(id: string): Promise<SessionEntity> {
    const session = await this.sessions.get(id);
    if (!session) throw new ServiceError(ErrorCode.NotFound, `session ${id} not found`, { id });
    return session;
  }
}
