import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { type ReplyOf, type RequestOf, SERVICE_NAMES } from '@plugboard/contracts';
import { OrchestratorPort } from './orchestrator.port';

/** `infra.restart` over the bus, sent by the gateway's admin route. */
@Controller()
export class RestartController {
  constructor(private readonly orchestrator: OrchestratorPort) {}

  @MessagePattern('infra.restart')
  async restart(request: RequestOf<'infra.restart'>): Promise<ReplyOf<'infra.restart'>> {
    const services = SERVICE_NAMES.filter((service) => (request.services ?? SERVICE_NAMES).includes(service));
    const actions = await this.orchestrator.restart({ services, profiles: request.profiles });
    return { orchestrator: this.orchestrator.plug, services, actions };
  }
}
