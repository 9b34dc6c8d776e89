import type { FastifyRequest } from 'fastify';

/** Route patterns whose `:id` is a session id: the guard checks it against the key's scope. */
const SESSION_ROUTE = /^\/api\/sessions\/:id(\/|$)/;

/**
 * The sessions the request's key may see, or undefined when it may see all of them. List
 * routes filter their results with it, e.g. `allowed === undefined || allowed.includes(s.id)`.
 */
export function allowedSessionIds(request: FastifyRequest): readonly string[] | undefined {
  const scope = request.apiKey?.sessionIds;
  return scope && scope.length > 0 ? scope : undefined;
}

/** True when the key may act on `sessionId`. */
export function sessionAllowed(request: FastifyRequest, sessionId: string): boolean {
  const allowed = allowedSessionIds(request);
  return allowed === undefined || allowed.includes(sessionId);
}

/** The session a session route acts on (`request.params.id`), or undefined for other routes. */
export function routeSessionId(request: FastifyRequest): string | undefined {
  const pattern = request.routeOptions?.url ?? '';
  if (!SESSION_ROUTE.test(pattern)) return undefined;
  const id = (request.params as Record<string, unknown> | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}
