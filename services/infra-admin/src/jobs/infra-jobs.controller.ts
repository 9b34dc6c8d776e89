import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ReplyOf, RequestOf } from '@plugboard/contracts';
import { InfraJobs } from './infra-jobs';

/** Job state over the bus, for the gateway's /api/infra/jobs routes. */
@Controller()
export class InfraJobsController {
  constructor(private readonly jobs: InfraJobs) {}

  @MessagePattern('infra.jobs.get')
  get(@Payload() request: RequestOf<'infra.jobs.get'>): ReplyOf<'infra.jobs.get'> {
    return this.jobs.get(request.id);
  }

  @MessagePattern('infra.jobs.list')
  list(): ReplyOf<'infra.jobs.list'> {
    return { jobs: this.jobs.list() };
  }

  @MessagePattern('infra.jobs.cancel')
  cancel(@Payload() request: RequestOf<'infra.jobs.cancel'>): ReplyOf<'infra.jobs.cancel'> {
    return this.jobs.cancel(request.id);
  }
}
