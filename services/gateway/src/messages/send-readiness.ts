import { ErrorCode } from '@plugboard/contracts';
import type { Database, SessionEntity } from '@plugboard/database';
import { ServiceError } from '@plugboard/service-kit';
import type { SessionStatusCache } from '../sessions/session-status-cache';

/**
 * Checks a session can take a send: it exists (404), and it is `ready` (409 SESSION_NOT_READY
 * with its status) unless QUEUE_WHEN_NOT_READY lets rows wait pending until it is. The status
 * comes from the status cache, filled from the row when not cached.
 */
export async function requireSendableSession(
  database: Database,
  statusCache: SessionStatusCache,
  sessionId: string,
  queueWhenNotReady: boolean,
): Promise<SessionEntity> {
  const session = await database.sessions.get(sessionId);
  if (!session) throw new ServiceError(ErrorCode.NotFound, `session ${sessionId} not found`, { sessionId });
  if (queueWhenNotReady) return session;
  const { status } = await statusCache.get(sessionId, async () => ({ id: session.id, status: session.status }));
  if (status !== 'ready') {
    throw new ServiceError(ErrorCode.SessionNotReady, `session ${sessionId} is ${status}, not ready`, { sessionId, status });
  }
  return session;
}
