import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AppConfig, InjectConfig } from '@plugboard/config';
import { RequireRole } from './auth/require-role.decorator';
import { InfraStatus, infraStatus } from './health-aggregation';
import { HealthCollector } from './health-collector';
import { InfraStatusSchema } from './health-responses.schemas';
import { apiResponse } from './openapi/api-schema.decorators';

/** Admin view of the infrastructure: every instance of every service and its sockets. */
@ApiTags('infra')
@Controller('api/infra')
@RequireRole('admin')
export class InfraStatusController {
  constructor(
    private readonly collector: HealthCollector,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Expected services that did not answer are listed as down with no instances. */
  @Get('status')
  @apiResponse(200, InfraStatusSchema)
  async status(): Promise<InfraStatus> {
    const { replies, checkedAt } = await this.collector.collect();
    return infraStatus(replies, this.config.EXPECTED_SERVICES, checkedAt);
  }
}
