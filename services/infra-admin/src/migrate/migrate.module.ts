import { Module } from '@nestjs/common';
import { MigrateBusController } from './migrate-bus.controller';
import { SchemaMigrator } from './schema-migrator';

/** Database migrations on request (the admin route), next to the one-shot `infra-admin migrate`. */
@Module({
  controllers: [MigrateBusController],
  providers: [SchemaMigrator],
})
export class MigrateModule {}
