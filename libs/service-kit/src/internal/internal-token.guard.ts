import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '../service-kit.errors';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const INTERNAL_TOKEN_HEADER = 'x-internal-token';

/**
 * Internal byte-stream routes (media-service, infra-admin) listen on the service's own HTTP_PORT,
 * which is never published; with INTERNAL_TOKEN set they also demand it in X-Internal-Token.
 */
@Injectable()
export class InternalTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = config.INTERNAL_TOKEN ? digest(config.INTERNAL_TOKEN) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers[INTERNAL_TOKEN_HEADER];
    const presented = Array.isArray(header) ? header[0] : header;
    if (!presented || !timingSafeEqual(digest(presented), this.expected)) {
      throw new ServiceError(ErrorCode.Unauthorized, 'internal route: X-Internal-Token missing or wrong');
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
