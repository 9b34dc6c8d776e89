import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { MigrateReplySchema, type ReplyOf } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { apiResponse } from '../openapi/api-schema.decorators';

/** A migration waits for the advisory lock and may rewrite large tables: minutes, not the usual bus deadline. */
const MIGRATE_TIMEOUT_MS = 10 * 60_000;

/** Admin: infra-admin applies the pending database migrations now. */
@ApiTags('infra')
@Controller('api/infra/migrate')
@RequireRole('admin')
export class MigrateController {
  constructor(
    private readonly bus: BusPort,
    private readonly audit: AuditService,
  ) {}

  /** `{ databaseType, schemaVersion, applied }`; on SQLite `applied` is empty (its schema syncs at boot). */
  @Post()
  @HttpCode(200)
  @apiResponse(200, MigrateReplySchema)
  async migrate(@Req() request: FastifyRequest): Promise<ReplyOf<'infra.migrate'>> {
    const reply = await this.bus.request('infra.migrate', {}, { timeoutMs: MIGRATE_TIMEOUT_MS });
    await this.audit.record(request, 'infra.migrate', null, { schemaVersion: reply.schemaVersion, applied: reply.applied });
    return reply;
  }
}
