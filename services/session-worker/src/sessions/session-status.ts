import type { SessionStatusValue } from '@plugboard/contracts';
import type { EngineEvent } from '../engine/engine.port';

/** A status change an engine event causes, with the event types to publish besides `session.status`. */
export interface StatusChange {
  status: SessionStatusValue;
  reason?: string;
}

/**
 * The lifecycle state machine: which status an engine event moves a session to. Events that
 * say nothing about the connection (messages, acks, raw engine states) return null.
 */
export function statusForEngineEvent(event: EngineEvent): StatusChange | null {
  switch (event.type) {
    case 'qr':
      return { status: 'qr_ready' };
    case 'authenticated':
      return { status: 'authenticating' };
    case 'ready':
      return { status: 'ready' };
    case 'disconnected':
      return { status: 'disconnected', reason: event.reason };
    case 'failed':
      return { status: 'failed', reason: event.reason };
    default:
      return null;
  }
}

/** Statuses in which the engine session is alive (or coming up): a start is then a conflict. */
const ACTIVE: ReadonlySet<SessionStatusValue> = new Set(['initializing', 'qr_ready', 'authenticating', 'ready', 'disconnected']);

/** True while an engine session runs or is reconnecting. */
export function isActiveStatus(status: SessionStatusValue): boolean {
  return ACTIVE.has(status);
}

/** A start is allowed unless the session should already run and is not stopped or failed. */
export function canStart(desiredState: 'running' | 'stopped', status: SessionStatusValue): boolean {
  return desiredState === 'stopped' || status === 'stopped' || status === 'failed';
}
