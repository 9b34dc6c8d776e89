import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import type { FastifyInstance } from 'fastify';

export const BULK_ROUTE = { method: 'POST', url: '/api/sessions/:id/messages/bulk' } as const;
/** Room for one message of a bulk send, on average. */
export const BYTES_PER_BULK_MESSAGE = 4 * 1024;

/**
 * A bulk send may hold BULK_MAX_MESSAGES messages, far more than BODY_SIZE_LIMIT allows: its
 * route alone gets `BULK_MAX_MESSAGES × 4 KiB`. Set from the constructor, because Fastify
 * fixes a route's body limit when the route is registered, before any lifecycle hook runs.
 */
@Injectable()
export class BulkBodyLimit {
  readonly bytes: number;

  constructor(adapterHost: HttpAdapterHost, @Inject(APP_CONFIG) config: AppConfig) {
    this.bytes = Math.max(config.BODY_SIZE_LIMIT, config.BULK_MAX_MESSAGES * BYTES_PER_BULK_MESSAGE);
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onRoute', (route) => {
      const methods = [route.method].flat();
      if (route.url === BULK_ROUTE.url && methods.includes(BULK_ROUTE.method)) route.bodyLimit = this.bytes;
    });
  }
}
