import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ErrorCode, type ReplyOf, SessionSubjects, workerDrainSubject } from '@plugboard/contracts';
import { AppConfig, InjectConfig } from '@plugboard/config';
import { BusError, BusPort } from '@plugboard/messaging';
import { ServiceError } from '@plugboard/service-kit';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { apiBody, apiResponse } from '../openapi/api-schema.decorators';
import { zodBody } from '../validation/zod-pipe';

const DrainBodySchema = z.strictObject({
  instance: z.string().trim().min(1).max(200).describe('Instance id of a session-worker, as GET /api/infra/status lists it'),
});
type DrainBody = z.output<typeof DrainBodySchema>;

/**
 * Admin: one session-worker releases every session it holds (the others take them over on
 * their next sweep) and claims nothing afterwards, e.g. before taking its node down.
 */
@ApiTags('infra')
@Controller('api/infra/drain')
@RequireRole('admin')
export class DrainController {
  constructor(
    private readonly bus: BusPort,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** `{ instanceId, released }`; 404 NOT_FOUND when no session-worker has that instance id. */
  @Post()
  @HttpCode(200)
  @apiBody(DrainBodySchema)
  @apiResponse(200, SessionSubjects['worker.drain'].reply)
  async drain(@Req() request: FastifyRequest, @Body(zodBody(DrainBodySchema)) body: DrainBody): Promise<ReplyOf<'worker.drain'>> {
    let reply: ReplyOf<'worker.drain'>;
    try {
      // Stopping engines cleanly may take a while: as long as a graceful shutdown may.
      reply = await this.bus.request(
        'worker.drain',
        { instanceId: body.instance },
        { subject: workerDrainSubject(body.instance), timeoutMs: this.config.SHUTDOWN_TIMEOUT_MS },
      );
    } catch (error) {
      if (error instanceof BusError && error.code === ErrorCode.BusNoResponders) {
        throw new ServiceError(ErrorCode.NotFound, `no session-worker with instance id "${body.instance}" is running`, { instance: body.instance });
      }
      throw error;
    }
    await this.audit.record(request, 'infra.drain', reply.instanceId, { released: reply.released });
    return reply;
  }
}
