import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ReplyOf, RequestOf } from '@plugboard/contracts';
import { StorageMigration } from './storage-migration';

/** Storage migration control over the bus; the bytes move inside the media-service. */
@Controller()
export class StorageMigrationController {
  constructor(private readonly migration: StorageMigration) {}

  @MessagePattern('media.storage.migrate')
  start(@Payload() request: RequestOf<'media.storage.migrate'>): Promise<ReplyOf<'media.storage.migrate'>> {
    return this.migration.start(request.to);
  }

  @MessagePattern('media.storage.migration')
  progress(): ReplyOf<'media.storage.migration'> {
    return this.migration.progress();
  }
}
