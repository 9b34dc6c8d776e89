import { Module } from '@nestjs/common';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';

/** /api/keys: create, list and revoke API keys. */
@Module({
  controllers: [KeysController],
  providers: [KeysService],
})
export class KeysModule {}
