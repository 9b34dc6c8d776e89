import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { ServiceHealth } from '@plugboard/contracts';
import { HealthRegistry } from './health-registry';

/** Answers the scatter-gather `health.ping`: every instance replies (see BROADCAST_SUBJECTS). */
@Controller()
export class HealthRpcController {
  constructor(private readonly registry: HealthRegistry) {}

  /** This instance's name, version, uptime and sockets. */
  @MessagePattern('health.ping')
  ping(): Promise<ServiceHealth> {
    return this.registry.serviceHealth();
  }
}
