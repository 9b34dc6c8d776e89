import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { FastifyRequest } from 'fastify';

/** Route patterns whose `:id` is a session id: the guard checks it against the key's scope. */
const SESSION_ROUTE = /^\/api\/sessions\/:id(\/|$)/;

/** The sessions a key may act on: all of them (undefined) or these. */
export type SessionScope = readonly string[] | undefined;

/**
 * The sessions the request's key may see, or undefined when it may see all of them. List
 * routes filter their results with it, e.g. `allowed === undefined || allowed.includes(s.id)`.
 */
export function allowedSessionIds(request: FastifyRequest): SessionScope {
  const scope = request.apiKey?.sessionIds;
  return scope && scope.length > 0 ? scope : undefined;
}

/**
 * Throws FORBIDDEN unless `scope` covers `sessionId`: for what belongs to a session but is
 * reached by its own id (a webhook, a media file). Something of no session (null) is only for
 * keys of every session.
 */
export function assertInScope(scope: SessionScope, sessionId: string | null): void {
  if (scope === undefined || (sessionId !== null && scope.includes(sessionId))) return;
  if (sessionId === null) throw new ServiceError(ErrorCode.Forbidden, 'this API key is limited to some sessions: name one of them (sessionId)', { sessionIds: scope });
  throw new ServiceError(ErrorCode.Forbidden, 'this API key is not allowed to use this session', { sessionId });
}

/** assertInScope for the request's key. */
export function assertSessionAllowed(request: FastifyRequest, sessionId: string | null): void {
  assertInScope(allowedSessionIds(request), sessionId);
}

/** Throws FORBIDDEN for a key limited to some sessions: it may not do `what` (make more of them, see all). */
export function assertAllSessionsAllowed(request: FastifyRequest, what: string): void {
  const allowed = allowedSessionIds(request);
  if (allowed === undefined) return;
  throw new ServiceError(ErrorCode.Forbidden, `this API key is limited to some sessions and may not ${what}`, { sessionIds: allowed });
}

/** The session a session route acts on (`request.params.id`), or undefined for other routes. */
export function routeSessionId(request: FastifyRequest): string | undefined {
  const pattern = request.routeOptions?.url ?? '';
  if (!SESSION_ROUTE.test(pattern)) return undefined;
  const id = (request.params as Record<string, unknown> | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}
