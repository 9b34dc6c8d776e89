import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { MediaController } from './media.controller';
import { MediaClientModule, installRawStreamBody } from '@plugboard/service-kit';
import { StorageAdminController } from './storage-admin.controller';

/** Streamed bodies: uploads and backup restores read the raw request. */
const STREAM_ROUTES = ['POST /api/media', 'POST /api/infra/storage/import'];

/** Public media routes and the admin backup/restore/check routes, over the media client (MediaStreams). */
@Module({
  imports: [MediaClientModule],
  controllers: [MediaController, StorageAdminController],
})
export class GatewayMediaModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    installRawStreamBody(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), STREAM_ROUTES);
  }
}
