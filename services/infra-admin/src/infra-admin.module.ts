import { Module } from '@nestjs/common';
import { HealthModule } from '@plugboard/service-kit';
import { InfraDataModule } from './data/data.module';
import { MigrateModule } from './migrate/migrate.module';
import { ConfigAdminModule } from './config/config-admin.module';
import { OrchestratorModule } from './orchestrator/orchestrator.module';

/** infra-admin: for now it only reports its health; its sockets and handlers come later. */
@Module({ imports: [HealthModule, InfraDataModule, MigrateModule, ConfigAdminModule, OrchestratorModule] })
export class InfraAdminModule {}
