import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig, InjectConfig } from '@plugboard/config';
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
import { assertSessionAllowed, routeSessionId } from './session-scope';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const UNKNOWN_KEY: KeyVerdict = { ok: false, reason: 'unknown' };

/** A controller method and its class, as Nest's execution context names them. */
type RouteHandler = ReturnType<ExecutionContext['getHandler']>;
type RouteController = ReturnType<ExecutionContext['getClass']>;

/** What a route's decorators ask of the guard. */
interface RouteRules {
  required: Role | undefined;
  isPublic: boolean;
}

/**
 * The one guard of the HTTP API, global: rate limits every route but /health, then checks
 * the API key of routes under /api (and of any route marked with RequireRole):
 * 401 missing/unknown/expired/revoked key; 403 too low a role, a viewer changing anything,
 * a client address outside the key's ipRanges, or a session route outside its sessionIds.
 *
 * A key checked in the last seconds with rate limiting off is decided without waiting:
 * Nest then takes no promise for the guard, which is a good part of a cached read's cost.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  /** Per handler: its decorators do not change after boot. */
  private readonly rules = new WeakMap<RouteHandler, RouteRules>();

  constructor(
    private readonly reflector: Reflector,
    private readonly store: ApiKeyStore,
    private readonly rateLimit: RateLimitService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const route = request.routeOptions?.url ?? request.url;
    if (route === '/health' || route.startsWith('/health/')) return true;

    const role = roleNeeded(route, this.rulesOf(context.getHandler(), context.getClass()));
    const presented = presentedKey(request);
    // Rate limiting off: nothing to count, so a cached verdict needs no await.
    const cached = this.config.RATE_LIMIT_ENABLED ? undefined : presented ? this.store.verifyCached(presented) : UNKNOWN_KEY;
    if (cached) return this.admit(request, cached, presented, role);
    return this.checkWaiting(context, request, presented, role);
  }

  /**
   * For a route served outside Nest's pipeline when it can be: true when canActivate would
   * admit the request of `handler` (a method of `controller`) at once, with the same effects.
   * False for anything else, a refusal included: the caller then hands the request to Nest,
   * whose canActivate waits or answers the refusal as for any route.
   */
  admitsAtOnce(request: FastifyRequest, handler: RouteHandler, controller: RouteController): boolean {
    if (this.config.RATE_LIMIT_ENABLED) return false;
    try {
      const role = roleNeeded(request.routeOptions.url ?? request.url, this.rulesOf(handler, controller));
      const presented = presentedKey(request);
      const verdict = presented ? this.store.verifyCached(presented) : UNKNOWN_KEY;
      return verdict !== undefined && this.admit(request, verdict, presented, role);
    } catch {
      return false;
    }
  }

  private async checkWaiting(context: ExecutionContext, request: FastifyRequest, presented: string | undefined, role: Role | undefined): Promise<boolean> {
    const verdict = presented ? await this.store.verify(presented) : UNKNOWN_KEY;
    await this.rateLimit.enforce(request, context.switchToHttp().getResponse<FastifyReply>(), verdict.ok ? verdict.principal.id : undefined);
    return this.admit(request, verdict, presented, role);
  }

  /** The key check proper, once the verdict is known and the request counted; `role` undefined when the route needs no key. */
  private admit(request: FastifyRequest, verdict: KeyVerdict, presented: string | undefined, role: Role | undefined): boolean {
    if (role === undefined) return true;
    if (!verdict.ok) {
      const message = presented === undefined ? 'API key required (X-API-Key or Authorization: Bearer)' : `API key ${verdict.reason === 'unknown' ? 'invalid' : verdict.reason}`;
      throw new ServiceError(ErrorCode.Unauthorized, message);
    }
    const { principal, ipRanges } = verdict;
    if (!ipAllowed(request.ip, ipRanges)) throw forbidden('this API key may not be used from this address');
    if (!roleSatisfies(principal.role, role)) throw forbidden(`this route needs the ${role} role`, { required: role, role: principal.role });
    if (principal.role === 'viewer' && !READ_METHODS.has(request.method)) throw forbidden('viewer keys may only read');
    request.apiKey = principal;
    const sessionId = routeSessionId(request);
    if (sessionId !== undefined) assertSessionAllowed(request, sessionId);
    this.store.touch(principal.id);
    return true;
  }

  private rulesOf(handler: RouteHandler, controller: RouteController): RouteRules {
    let rules = this.rules.get(handler);
    if (!rules) {
      const targets = [handler, controller];
      rules = {
        required: this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets),
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true,
      };
      this.rules.set(handler, rules);
    }
    return rules;
  }
}

/** The role a route needs, or undefined when it needs no key. */
function roleNeeded(route: string, { required, isPublic }: RouteRules): Role | undefined {
  const needsKey = !isPublic && (required !== undefined || route === '/api' || route.startsWith('/api/'));
  return needsKey ? (required ?? 'admin') : undefined;
}

function forbidden(message: string, details?: unknown): ServiceError {
  return new ServiceError(ErrorCode.Forbidden, message, details);
}
