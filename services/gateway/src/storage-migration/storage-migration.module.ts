import { Module } from '@nestjs/common';
import { StorageMigrationController } from './storage-migration.controller';

/** Admin route for moving media between the files plugs. */
@Module({ controllers: [StorageMigrationController] })
export class GatewayStorageMigrationModule {}
