import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { ReplyOf } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import { z } from 'zod';
import { RequireRole } from '../auth/require-role.decorator';
import { parseOrThrow } from '../media/validation';

const JobIdSchema = z.string().min(1).max(64);

/** Admin: long infra jobs (data export/import) with progress, answered by infra-admin over the bus. */
@Controller('api/infra/jobs')
@RequireRole('admin')
export class JobsController {
  constructor(private readonly bus: BusPort) {}

  /** Running jobs, then recently finished ones. */
  @Get()
  list(): Promise<ReplyOf<'infra.jobs.list'>> {
    return this.bus.request('infra.jobs.list', {});
  }

  /** `{ id, kind, state, progress: { done, total, unit, ratePerSecond, etaSeconds }, … }`; 404 when unknown. */
  @Get(':id')
  get(@Param('id') id: string): Promise<ReplyOf<'infra.jobs.get'>> {
    return this.bus.request('infra.jobs.get', { id: parseOrThrow(JobIdSchema, id) });
  }

  /** A running import rolls back; 409 when the job already finished. */
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string): Promise<ReplyOf<'infra.jobs.cancel'>> {
    return this.bus.request('infra.jobs.cancel', { id: parseOrThrow(JobIdSchema, id) });
  }
}
