import { Module } from '@nestjs/common';
import { InfraJobs } from './infra-jobs';
import { InfraJobsController } from './infra-jobs.controller';

/** Long admin jobs: the registry the data transfers report to, and its bus handlers. */
@Module({ controllers: [InfraJobsController], providers: [InfraJobs], exports: [InfraJobs] })
export class InfraJobsModule {}
