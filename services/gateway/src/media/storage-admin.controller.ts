import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type MediaImportSummary, MediaStreams, type StorageCheckReport } from '@plugboard/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { apiBinaryBody, apiBinaryResponse } from '../openapi/api-content.decorators';
import { apiResponse } from '../openapi/api-schema.decorators';
import { MediaImportSummarySchema, StorageCheckReportSchema } from './storage-admin.schemas';

const ARCHIVE_TYPE = 'application/gzip';

/** Admin: media backup (`.tar.gz` out), restore (`.tar.gz` in, all or nothing) and the storage/table consistency check. */
@ApiTags('infra')
@Controller('api/infra/storage')
@RequireRole('admin')
export class StorageAdminController {
  constructor(
    private readonly streams: MediaStreams,
    private readonly audit: AuditService,
  ) {}

  /** Streamed straight into the response: nothing is written to disk on the way. */
  @Get('export')
  @apiBinaryResponse(200, ARCHIVE_TYPE, 'A .tar.gz of every recorded file: manifest.json first, then the objects', {
    'content-disposition': 'attachment, named plugboard-media-<time>.tar.gz',
  })
  async export(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const archive = await this.streams.exportArchive();
    // Recorded once the archive starts: every file may have left by the time it ends.
    await this.audit.record(request, 'infra.storage.export');
    const name = `plugboard-media-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`;
    reply.header('content-type', ARCHIVE_TYPE).header('content-disposition', `attachment; filename="${name}"`);
    await reply.send(archive);
  }

  @Post('import')
  @apiBinaryBody([ARCHIVE_TYPE], 'A .tar.gz written by GET /api/infra/storage/export, read as a stream whatever its Content-Type')
  @apiResponse(201, MediaImportSummarySchema, 'Restored')
  async import(@Req() request: FastifyRequest): Promise<MediaImportSummary> {
    const summary = await this.streams.importArchive(request.body as Readable);
    await this.audit.record(request, 'infra.storage.import', null, { ...summary });
    return summary;
  }

  /** Files without rows and rows without files. */
  @Get('check')
  @apiResponse(200, StorageCheckReportSchema)
  check(): Promise<StorageCheckReport> {
    return this.streams.checkStorage();
  }
}
