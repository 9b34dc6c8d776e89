import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InfraJobsSubjects, type ReplyOf } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { parseOrThrow } from '../media/validation';
import { apiResponse } from '../openapi/api-schema.decorators';

const JobIdSchema = z.string().min(1).max(64);

/** Admin: long infra jobs (data export/import) with progress, answered by infra-admin over the bus. */
@ApiTags('infra')
@Controller('api/infra/jobs')
@RequireRole('admin')
export class JobsController {
  constructor(
    private readonly bus: BusPort,
    private readonly audit: AuditService,
  ) {}

  /** Running jobs, then recently finished ones. */
  @Get()
  @apiResponse(200, InfraJobsSubjects['infra.jobs.list'].reply)
  list(): Promise<ReplyOf<'infra.jobs.list'>> {
    return this.bus.request('infra.jobs.list', {});
  }

  /** `{ id, kind, state, progress: { done, total, unit, ratePerSecond, etaSeconds }, … }`; 404 when unknown. */
  @Get(':id')
  @apiResponse(200, InfraJobsSubjects['infra.jobs.get'].reply)
  get(@Param('id') id: string): Promise<ReplyOf<'infra.jobs.get'>> {
    return this.bus.request('infra.jobs.get', { id: parseOrThrow(JobIdSchema, id) });
  }

  /** A running import rolls back; 409 when the job already finished. */
  @Post(':id/cancel')
  @HttpCode(200)
  @apiResponse(200, InfraJobsSubjects['infra.jobs.cancel'].reply)
  async cancel(@Req() request: FastifyRequest, @Param('id') id: string): Promise<ReplyOf<'infra.jobs.cancel'>> {
    const job = await this.bus.request('infra.jobs.cancel', { id: parseOrThrow(JobIdSchema, id) });
    await this.audit.record(request, 'infra.job.cancel', job.id, { kind: job.kind });
    return job;
  }
}
