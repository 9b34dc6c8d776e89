import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { type MediaImportSummary, MediaStreams, type StorageCheckReport } from '@plugboard/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';

/** Admin: media backup (`.tar.gz` out), restore (`.tar.gz` in, all or nothing) and the storage/table consistency check. */
@Controller('api/infra/storage')
@RequireRole('admin')
export class StorageAdminController {
  constructor(
    private readonly streams: MediaStreams,
    private readonly audit: AuditService,
  ) {}

  /** Streamed straight into the response: nothing is written to disk on the way. */
  @Get('export')
  async export(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const archive = await this.streams.exportArchive();
    // Recorded once the archive starts: every file may have left by the time it ends.
    await this.audit.record(request, 'infra.storage.export');
    const name = `plugboard-media-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`;
    reply.header('content-type', 'application/gzip').header('content-disposition', `attachment; filename="${name}"`);
    await reply.send(archive);
  }

  @Post('import')
  async import(@Req() request: FastifyRequest): Promise<MediaImportSummary> {
    const summary = await this.streams.importArchive(request.body as Readable);
    await this.audit.record(request, 'infra.storage.import', null, { ...summary });
    return summary;
  }

  /** Files without rows and rows without files. */
  @Get('check')
  check(): Promise<StorageCheckReport> {
    return this.streams.checkStorage();
  }
}
