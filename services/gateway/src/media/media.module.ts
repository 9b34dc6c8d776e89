import { Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { MediaStreams } from '@plugboard/contracts';
import type { FastifyInstance } from 'fastify';
import { MediaController } from './media.controller';
import { HttpMediaStreams, MediaStreamsSwitch, installRawStreamBody } from '@plugboard/service-kit';
import { StorageAdminController } from './storage-admin.controller';

/** Streamed bodies: uploads and backup restores read the raw request. */
const STREAM_ROUTES = ['POST /api/media', 'POST /api/infra/storage/import'];

/**
 * Public media routes and the admin backup/restore/check routes. MediaStreams starts as the
 * HTTP plug to MEDIA_SERVICE_URL; the embedded launcher switches it to the in-process plug.
 */
@Module({
  controllers: [MediaController, StorageAdminController],
  providers: [
    {
      provide: HttpMediaStreams,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new HttpMediaStreams({ baseUrl: config.MEDIA_SERVICE_URL, token: config.INTERNAL_TOKEN }),
    },
    { provide: MediaStreamsSwitch, inject: [HttpMediaStreams], useFactory: (http: HttpMediaStreams) => new MediaStreamsSwitch(http) },
    { provide: MediaStreams, useExisting: MediaStreamsSwitch },
  ],
  exports: [MediaStreamsSwitch],
})
export class GatewayMediaModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HttpMediaStreams) private readonly http: HttpMediaStreams,
  ) {}

  onModuleInit(): void {
    installRawStreamBody(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), STREAM_ROUTES);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }
}
