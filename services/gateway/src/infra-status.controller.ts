import { Controller, Get } from '@nestjs/common';
import { AppConfig, InjectConfig } from '@plugboard/config';
import { RequireRole } from './auth/require-role.decorator';
import { InfraStatus, infraStatus } from './health-aggregation';
import { HealthCollector } from './health-collector';

/** Admin view of the infrastructure: every instance of every service and its sockets. */
@Controller('api/infra')
@RequireRole('admin')
export class InfraStatusController {
  constructor(
    private readonly collector: HealthCollector,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Expected services that did not answer are listed as down with no instances. */
  @Get('status')
  async status(): Promise<InfraStatus> {
    const { replies, checkedAt } = await this.collector.collect();
    return infraStatus(replies, this.config.EXPECTED_SERVICES, checkedAt);
  }
}
