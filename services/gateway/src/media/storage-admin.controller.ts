import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { type MediaImportSummary, MediaStreams, type StorageCheckReport } from '@plugboard/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { RequireRole } from '../auth/require-role.decorator';

/** Admin: media backup (`.tar.gz` out), restore (`.tar.gz` in, all or nothing) and the storage/table consistency check. */
@Controller('api/infra/storage')
@RequireRole('admin')
export class StorageAdminController {
  constructor(private readonly streams: MediaStreams) {}

  /** Streamed straight into the response: nothing is written to disk on the way. */
  @Get('export')
  async export(@Res() reply: FastifyReply): Promise<void> {
    const archive = await this.streams.exportArchive();
    const name = `plugboard-media-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`;
    reply.header('content-type', 'application/gzip').header('content-disposition', `attachment; filename="${name}"`);
    await reply.send(archive);
  }

  @Post('import')
  import(@Req() request: FastifyRequest): Promise<MediaImportSummary> {
    return this.streams.importArchive(request.body as Readable);
  }

  /** Files without rows and rows without files. */
  @Get('check')
  check(): Promise<StorageCheckReport> {
    return this.streams.checkStorage();
  }
}
