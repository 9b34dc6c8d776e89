import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SessionIdSchema } from '@plugboard/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { SessionStatusCache } from './session-status-cache';
import { SessionsController } from './sessions.controller';

/** Fastify's pattern of `SessionsController.status`. */
const STATUS_ROUTE = '/api/sessions/:id/status';

/**
 * Serves the cached status reads of `GET /api/sessions/:id/status`, the gateway's hottest
 * route, without Nest's router pipeline: measured with the gateway bench, that pipeline (its
 * execution context, guard and pipe consumers, and their promises, each taxed by the async
 * context hooks) cost a cached read more than guard and cache do, and serving hits here
 * took the bench from about 0.53 to about 0.63 of a bare Fastify hello-world.
 *
 * It wraps the handler Nest registers for the route, so route, Fastify hooks (request id,
 * tracing, metrics) and OpenAPI entry stay Nest's. A read is answered here only when the guard
 * admits it at once, the id is valid and the cache has the status; anything else (refusal,
 * rate limiting on, key not cached, bad id, cache miss or error) goes to Nest's handler, which
 * answers it as before. A global interceptor or pipe added to Nest later would not see the
 * hits: add its effect here too.
 */
@Injectable()
export class SessionStatusFastPath {
  /** The controller method whose decorators (its required role) the guard reads. */
  private readonly statusMethod = SessionsController.prototype.status;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly guard: ApiKeyGuard,
    private readonly statusCache: SessionStatusCache,
  ) {}

  /** Wraps the route's handler as Nest registers it; to be called before Nest registers its routes. */
  install(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onRoute', (route) => {
      if (route.method === 'GET' && route.url === STATUS_ROUTE) route.handler = this.wrap(route.handler);
    });
  }

  private wrap(nest: RouteHandlerMethod): RouteHandlerMethod {
    const { guard, statusMethod, statusCache } = this;
    return function serveCachedStatus(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const { id } = request.params as { id: string };
      if (!guard.admitsAtOnce(request, statusMethod, SessionsController) || !SessionIdSchema.safeParse(id).success) return nest.call(this, request, reply);
      return statusCache.cached(id).then(
        (hit) => (hit ? void reply.send(hit) : nest.call(this, request, reply)),
        () => nest.call(this, request, reply),
      );
    };
  }
}
