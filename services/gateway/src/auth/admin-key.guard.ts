import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { FastifyRequest } from 'fastify';
import { AdminKey } from './admin-key';

/**
 * Admin routes: the key comes in `X-API-Key` or `Authorization: Bearer`, never the query
 * string (it would end up in access logs and browser history).
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(private readonly adminKey: AdminKey) {}

  /** 401 UNAUTHORIZED when the key is missing or wrong. */
  canActivate(context: ExecutionContext): boolean {
    const presented = presentedKey(context.switchToHttp().getRequest<FastifyRequest>());
    if (presented === undefined) throw new ServiceError(ErrorCode.Unauthorized, 'API key required (X-API-Key or Authorization: Bearer)');
    if (!this.adminKey.matches(presented)) throw new ServiceError(ErrorCode.Unauthorized, 'invalid API key');
    return true;
  }
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  const apiKey = Array.isArray(header) ? header[0] : header;
  if (apiKey) return apiKey;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}
