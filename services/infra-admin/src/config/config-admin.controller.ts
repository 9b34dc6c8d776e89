import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { ReplyOf, RequestOf } from '@plugboard/contracts';
import { ConfigAdminService } from './config-admin.service';

/** `infra.config.get` / `infra.config.put` over the bus, sent by the gateway's admin routes. */
@Controller()
export class ConfigAdminController {
  constructor(private readonly configAdmin: ConfigAdminService) {}

  @MessagePattern('infra.config.get')
  get(): ReplyOf<'infra.config.get'> {
    return this.configAdmin.view();
  }

  @MessagePattern('infra.config.put')
  put(request: RequestOf<'infra.config.put'>): Promise<ReplyOf<'infra.config.put'>> {
    return this.configAdmin.put(request.change);
  }
}
