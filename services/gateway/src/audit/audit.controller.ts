import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuditLogRepository } from '@plugboard/database';
import { RequireRole } from '../auth/require-role.decorator';
import { apiQuery, apiResponse } from '../openapi/api-schema.decorators';
import { zodQuery } from '../validation/zod-pipe';
import { type AuditPage, AuditPageSchema, type AuditQuery, AuditQuerySchema } from './audit.schemas';

/** The audit log, newest first, for admins. */
@ApiTags('audit')
@Controller('api/audit')
@RequireRole('admin')
export class AuditController {
  constructor(private readonly logs: AuditLogRepository) {}

  /** Filters: action, from (inclusive), to (exclusive); keyset pagination with `nextCursor`. */
  @Get()
  @apiQuery(AuditQuerySchema)
  @apiResponse(200, AuditPageSchema)
  async list(@Query(zodQuery(AuditQuerySchema)) query: AuditQuery): Promise<AuditPage> {
    const page = await this.logs.list({
      action: query.action,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      limit: query.limit,
      cursor: query.cursor,
    });
    return {
      items: page.items.map((row) => ({
        id: row.id,
        at: row.at.toISOString(),
        actorKeyId: row.actorKeyId ?? null,
        actorName: row.actorName ?? null,
        action: row.action,
        target: row.target ?? null,
        ip: row.ip ?? null,
        details: row.details ?? null,
      })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }
}
