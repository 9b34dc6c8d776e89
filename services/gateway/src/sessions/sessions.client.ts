import { Injectable } from '@nestjs/common';
import { ErrorCode, type ReplyOf, type RequestOf, type RequestSubject, sessionSubject } from '@plugboard/contracts';
import { BusError, BusPort } from '@plugboard/messaging';
import { ServiceError } from '@plugboard/service-kit';

/** How long a client should wait before retrying a command no worker holds yet. */
const RETRY_AFTER_MS = 2_000;

/** Per-session commands the gateway sends, by their map key (`wa.session.<command>`). */
type OwnerSubject = Extract<RequestSubject, `wa.session.${string}`>;

/**
 * The gateway's way to the session-worker: service-level requests go to any worker, and
 * per-session commands to the worker holding the lease. A command nobody holds answers 409
 * when the session is stopped, else 503 with a retry hint (a takeover is under way): commands
 * are not queued, because a stale start or logout replayed minutes later would surprise.
 */
@Injectable()
export class SessionsClient {
  constructor(private readonly bus: BusPort) {}

  /** A service-level request, answered by any session-worker. */
  request<S extends Exclude<RequestSubject, OwnerSubject>>(subject: S, payload: RequestOf<S>): Promise<ReplyOf<S>> {
    return this.bus.request(subject, payload);
  }

  /** A command for the lease owner of `sessionId`. */
  async command<S extends OwnerSubject>(sessionId: string, subject: S, payload: RequestOf<S>): Promise<ReplyOf<S>> {
    const command = subject.slice('wa.session.'.length);
    try {
      return await this.bus.request(subject, payload, { subject: sessionSubject(sessionId, command) });
    } catch (error) {
      if (!(error instanceof BusError) || error.code !== ErrorCode.BusNoResponders) throw error;
    }
    const session = await this.request('sessions.get', { id: sessionId });
    if (session.desiredState === 'stopped' || session.status === 'stopped') {
      throw new ServiceError(ErrorCode.Conflict, `the session is ${session.status}`, { status: session.status });
    }
    throw new ServiceError(ErrorCode.ServiceUnavailable, 'no session-worker holds this session right now; retry shortly', {
      status: session.status,
      retryAfterMs: RETRY_AFTER_MS,
    });
  }
}
