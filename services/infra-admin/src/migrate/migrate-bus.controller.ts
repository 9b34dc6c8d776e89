import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { ReplyOf } from '@plugboard/contracts';
import { SchemaMigrator } from './schema-migrator';

/** `infra.migrate` over the bus, sent by the gateway's admin route. */
@Controller()
export class MigrateBusController {
  constructor(private readonly migrator: SchemaMigrator) {}

  @MessagePattern('infra.migrate')
  migrate(): Promise<ReplyOf<'infra.migrate'>> {
    return this.migrator.migrate();
  }
}
