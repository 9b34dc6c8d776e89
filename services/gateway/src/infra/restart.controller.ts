import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InfraRestartReplySchema, type InfraRestartRequest, InfraRestartRequestSchema, type ReplyOf } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { apiBody, apiResponse } from '../openapi/api-schema.decorators';
import { zodBody } from '../validation/zod-pipe';

/** Docker waits for each container to stop and start again: minutes, not the usual bus deadline. */
const RESTART_TIMEOUT_MS = 5 * 60_000;

/** Admin: restarts services through the orchestrator socket (ORCHESTRATOR=none|docker|kubernetes). */
@ApiTags('infra')
@Controller('api/infra/restart')
@RequireRole('admin')
export class InfraRestartController {
  constructor(
    private readonly bus: BusPort,
    private readonly audit: AuditService,
  ) {}

  /**
   * `{ services?, profiles? }` (default: all four services, bundled backends untouched). Answers
   * before the gateway itself goes down; health shows the services coming back.
   */
  @Post()
  @HttpCode(202)
  @apiBody(InfraRestartRequestSchema)
  @apiResponse(202, InfraRestartReplySchema)
  async restart(@Req() request: FastifyRequest, @Body(zodBody(InfraRestartRequestSchema)) body: InfraRestartRequest): Promise<ReplyOf<'infra.restart'>> {
    // Recorded first: the gateway may be among the services that go down.
    await this.audit.record(request, 'infra.restart', null, { services: body.services ?? 'all', profiles: body.profiles ?? null });
    return this.bus.request('infra.restart', body, { timeoutMs: RESTART_TIMEOUT_MS });
  }
}
