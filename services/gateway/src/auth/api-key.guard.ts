import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import type { KeyVerdict } from './api-key-store';
import { ApiKeyStore } from './api-key-store';
import { ipAllowed } from './ip-ranges';
import { presentedKey } from './presented-key';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from './require-role.decorator';
import { type Role, roleSatisfies } from './roles';
import { routeSessionId, sessionAllowed } from './session-scope';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The one guard of the HTTP API, global: rate limits every route but /health, then checks
 * the API key of routes under /api (and of any route marked with RequireRole):
 * 401 missing/unknown/expired/revoked key; 403 too low a role, a viewer changing anything,
 * a client address outside the key's ipRanges, or a session route outside its sessionIds.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly store: ApiKeyStore,
    private readonly rateLimit: RateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const route = request.routeOptions?.url ?? request.url;
    if (route === '/health' || route.startsWith('/health/')) return true;

    const targets = [context.getHandler(), context.getClass()];
    const required = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true;
    const needsKey = !isPublic && (required !== undefined || route === '/api' || route.startsWith('/api/'));

    const presented = presentedKey(request);
    const verdict: KeyVerdict = presented ? await this.store.verify(presented) : { ok: false, reason: 'unknown' };
    await this.rateLimit.enforce(request, reply, verdict.ok ? verdict.principal.id : undefined);
    if (!needsKey) return true;

    if (!verdict.ok) {
      const message = presented === undefined ? 'API key required (X-API-Key or Authorization: Bearer)' : `API key ${verdict.reason === 'unknown' ? 'invalid' : verdict.reason}`;
      throw new ServiceError(ErrorCode.Unauthorized, message);
    }
    const { principal, ipRanges } = verdict;
    if (!ipAllowed(request.ip, ipRanges)) throw forbidden('this API key may not be used from this address');
    const role = required ?? 'admin';
    if (!roleSatisfies(principal.role, role)) throw forbidden(`this route needs the ${role} role`, { required: role, role: principal.role });
    if (principal.role === 'viewer' && !READ_METHODS.has(request.method)) throw forbidden('viewer keys may only read');
    request.apiKey = principal;
    const sessionId = routeSessionId(request);
    if (sessionId !== undefined && !sessionAllowed(request, sessionId)) {
      throw forbidden('this API key is not allowed to use this session', { sessionId });
    }
    this.store.touch(principal.id);
    return true;
  }
}

function forbidden(message: string, details?: unknown): ServiceError {
  return new ServiceError(ErrorCode.Forbidden, message, details);
}
