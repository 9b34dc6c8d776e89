import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ErrorCode } from '@plugboard/contracts';
import type { FastifyReply } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ServiceContext } from '../service-context';
import { ServiceError } from '../service-kit.errors';
import { MetricsHub } from './metrics-hub';

/**
 * `GET /metrics` in the Prometheus text format: this process's metrics and those of every
 * service it runs. With `METRICS_TOKEN` set a scraper must send `Authorization: Bearer <token>`.
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly hub: MetricsHub,
    private readonly context: ServiceContext,
  ) {}

  /** The exposition; 401 UNAUTHORIZED when a token is configured and not presented. */
  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const token = this.context.config.METRICS_TOKEN;
    if (token !== undefined && !bearerMatches(authorization, token)) {
      throw new ServiceError(ErrorCode.Unauthorized, 'metrics need Authorization: Bearer <METRICS_TOKEN>');
    }
    void reply.header('content-type', this.hub.contentType).header('cache-control', 'no-store');
    return this.hub.exposition();
  }
}

/** Constant-time comparison (of digests, so the lengths match too). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}
