import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DataTransfer } from '@plugboard/contracts';
import { InternalTokenGuard, installRawStreamBody } from '@plugboard/service-kit';
import type { FastifyInstance } from 'fastify';
import { InfraJobsModule } from '../jobs/jobs.module';
import { DataExporter } from './data-exporter';
import { DataImporter } from './data-importer';
import { InProcessDataTransfer } from './in-process-data-transfer.adapter';
import { INTERNAL_DATA_STREAM_ROUTES, InternalDataController } from './internal-data.controller';
import { RunningSessions } from './running-sessions';

/** Data export/import between SQLite and PostgreSQL: internal byte-stream routes and the in-process plug. */
@Module({
  imports: [InfraJobsModule],
  controllers: [InternalDataController],
  providers: [DataExporter, DataImporter, RunningSessions, InternalTokenGuard, { provide: DataTransfer, useClass: InProcessDataTransfer }],
  exports: [DataTransfer],
})
export class InfraDataModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    installRawStreamBody(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), INTERNAL_DATA_STREAM_ROUTES);
  }
}
