import { Module } from '@nestjs/common';
import { HealthModule } from '@plugboard/service-kit';
import { MediaModule } from './media/media.module';
import { StorageMigrationModule } from './storage-migration/storage-migration.module';

/** media-service: the files socket, the media table, byte streams and backups. */
@Module({ imports: [HealthModule, MediaModule, StorageMigrationModule] })
export class MediaServiceModule {}
