import { Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { DataTransfer } from '@plugboard/contracts';
import { installRawStreamBody } from '@plugboard/service-kit';
import type { FastifyInstance } from 'fastify';
import { DataController } from './data.controller';
import { DataTransferSwitch } from './data-transfer.switch';
import { HttpDataTransfer } from './http-data-transfer.adapter';
import { JobsController } from './jobs.controller';

/** The import body is the raw request stream, whatever its size (no body limit applies to it). */
const STREAM_ROUTES = ['POST /api/infra/import-data'];

/**
 * Admin data export/import and infra job routes. DataTransfer starts as the HTTP plug to
 * INFRA_ADMIN_URL; the embedded launcher switches it to the in-process plug.
 */
@Module({
  controllers: [DataController, JobsController],
  providers: [
    {
      provide: HttpDataTransfer,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new HttpDataTransfer({ baseUrl: config.INFRA_ADMIN_URL, token: config.INTERNAL_TOKEN }),
    },
    { provide: DataTransferSwitch, inject: [HttpDataTransfer], useFactory: (http: HttpDataTransfer) => new DataTransferSwitch(http) },
    { provide: DataTransfer, useExisting: DataTransferSwitch },
  ],
  exports: [DataTransferSwitch],
})
export class GatewayDataTransferModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HttpDataTransfer) private readonly http: HttpDataTransfer,
  ) {}

  onModuleInit(): void {
    installRawStreamBody(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), STREAM_ROUTES);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }
}
