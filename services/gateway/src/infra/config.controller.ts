import { Body, Controller, Get, HttpCode, Put, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { isSecretVariable } from '@plugboard/config';
import { ConfigChangeSchema, InfraConfigViewSchema, InfraConfigWrittenSchema, type ReplyOf } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { apiBody, apiResponse } from '../openapi/api-schema.decorators';
import { zodBody } from '../validation/zod-pipe';

type ConfigChangeBody = z.output<typeof ConfigChangeSchema>;

/**
 * Admin: the saved configuration of the installation. infra-admin owns the file
 * (`<DATA_DIR>/.env.generated`); these routes show and change it. A change applies once the
 * services that read it restart (POST /api/infra/restart).
 */
@ApiTags('infra')
@Controller('api/infra/config')
@RequireRole('admin')
export class InfraConfigController {
  constructor(
    private readonly bus: BusPort,
    private readonly audit: AuditService,
  ) {}

  /** Effective settings per section; secrets as `<NAME>Set: true|false`; `envPinned` lists what env/.env fix. */
  @Get()
  @apiResponse(200, InfraConfigViewSchema)
  view(): Promise<ReplyOf<'infra.config.get'>> {
    return this.bus.request('infra.config.get', {});
  }

  /**
   * `{ <section>: { KEY: value } }` merged into `.env.generated`. 400 VALIDATION_FAILED with
   * `details.problems` (nothing written) for unknown sections or keys, line breaks, or a result
   * the config schema refuses.
   */
  @Put()
  @HttpCode(200)
  @apiBody(ConfigChangeSchema)
  @apiResponse(200, InfraConfigWrittenSchema)
  async change(@Req() request: FastifyRequest, @Body(zodBody(ConfigChangeSchema)) body: ConfigChangeBody): Promise<ReplyOf<'infra.config.put'>> {
    const reply = await this.bus.request('infra.config.put', { change: body });
    // Names of every changed variable, values only of those that are not secrets.
    const values = Object.fromEntries(
      Object.values(body)
        .flatMap((variables) => Object.entries(variables))
        .filter(([variable]) => !isSecretVariable(variable)),
    );
    await this.audit.record(request, 'infra.config.changed', reply.file, { changed: reply.changed, values, restartRequired: reply.restartRequired });
    return reply;
  }
}
