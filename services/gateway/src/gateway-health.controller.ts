import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AppConfig, InjectConfig } from '@plugboard/config';
import type { FastifyReply } from 'fastify';
import { HealthSummary, summarize } from './health-aggregation';
import { HealthCollector } from './health-collector';
import { HealthSummarySchema } from './health-responses.schemas';
import { apiResponse } from './openapi/api-schema.decorators';

/** Health of the whole platform, public: per service up/degraded/down, nothing secret. */
@ApiTags('health')
@Controller()
export class GatewayHealthController {
  constructor(
    private readonly collector: HealthCollector,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** 200 for ok/degraded, 503 when an expected service has no healthy instance. */
  @Get('health')
  @apiResponse(200, HealthSummarySchema, 'Every expected service has a healthy instance (`ok` or `degraded`)')
  @apiResponse(503, HealthSummarySchema, 'An expected service has no healthy instance (`down`)')
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthSummary> {
    const { replies, checkedAt } = await this.collector.collect();
    const summary = summarize(replies, this.config.EXPECTED_SERVICES, checkedAt);
    void reply.status(summary.status === 'down' ? 503 : 200);
    return summary;
  }
}
