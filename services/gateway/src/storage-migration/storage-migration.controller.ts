import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type ReplyOf, StorageMigrationSubjects, StoragePlugSchema } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { parseOrThrow } from '../media/validation';
import { apiBody, apiResponse } from '../openapi/api-schema.decorators';

const MigrateBodySchema = z.object({ to: StoragePlugSchema.describe('The files plug to move every media file to') }).strict();

/**
 * Admin: moves every media file to the other files plug (`local` ↔ `s3`), verifies each by
 * sha256, then switches the media-service over and persists STORAGE_TYPE. Runs in the
 * media-service; these routes start it and show its progress.
 */
@ApiTags('infra')
@Controller('api/infra/storage/migrate')
@RequireRole('admin')
export class StorageMigrationController {
  constructor(
    private readonly bus: BusPort,
    private readonly audit: AuditService,
  ) {}

  /** 202 with the progress; 409 CONFLICT while one runs or when `to` is already in use. */
  @Post()
  @HttpCode(202)
  @apiBody(MigrateBodySchema)
  @apiResponse(202, StorageMigrationSubjects['media.storage.migrate'].reply, 'Accepted: the migration runs in the media-service')
  async start(@Req() request: FastifyRequest, @Body() body: unknown): Promise<ReplyOf<'media.storage.migrate'>> {
    const { to } = parseOrThrow(MigrateBodySchema, body ?? {});
    const reply = await this.bus.request('media.storage.migrate', { to });
    await this.audit.record(request, 'infra.storage.migrate', null, { from: reply.from, to });
    return reply;
  }

  /** `{ state, copied, verified, skipped, total, bytes, startedAt, finishedAt, errors }`. */
  @Get()
  @apiResponse(200, StorageMigrationSubjects['media.storage.migration'].reply)
  progress(): Promise<ReplyOf<'media.storage.migration'>> {
    return this.bus.request('media.storage.migration', {});
  }
}
