import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { StorageMigration } from './storage-migration';
import { StorageMigrationController } from './storage-migration.controller';

/** Moves the media files between the local and S3 plugs and switches the service over. */
@Module({
  imports: [MediaModule],
  controllers: [StorageMigrationController],
  providers: [StorageMigration],
})
export class StorageMigrationModule {}
