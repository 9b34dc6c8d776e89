import { Controller, Get, HttpCode, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { EXPORT_PASSPHRASE_HEADER, type DataImportResult } from '@plugboard/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { DataExporter } from './data-exporter';
import { DataImporter } from './data-importer';
import { parseDataQuery, parseImportQuery } from './import-query';
import { InternalTokenGuard } from '@plugboard/service-kit';

/** Routes whose body is read as a raw stream (see installRawStreamBody). */
export const INTERNAL_DATA_STREAM_ROUTES = ['POST /internal/data/import'];

/**
 * infra-admin's internal byte streams on its own HTTP_PORT (separate processes only; embedded
 * mode calls the same classes in-process). The gateway is the only client and checks roles.
 */
@Controller('internal/data')
@UseGuards(InternalTokenGuard)
export class InternalDataController {
  constructor(
    private readonly exporter: DataExporter,
    private readonly importer: DataImporter,
  ) {}

  /** The job id travels in X-Job-Id. */
  @Get('export')
  async export(@Req() request: FastifyRequest, @Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    parseDataQuery(z.object({}).strict(), query);
    const started = await this.exporter.export({ passphrase: passphraseOf(request) });
    await reply.header('content-type', 'application/gzip').header('x-job-id', started.jobId).send(started.stream);
  }

  @Post('import')
  @HttpCode(200)
  async import(@Req() request: FastifyRequest, @Query() query: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<DataImportResult> {
    try {
      const options = parseImportQuery(query);
      return await this.importer.import({ stream: request.body as Readable, passphrase: passphraseOf(request), ...options });
    } catch (error) {
      // The body may be unread: close the connection after the error rather than read it all.
      reply.header('connection', 'close');
      throw error;
    }
  }
}

function passphraseOf(request: FastifyRequest): string | undefined {
  const value = request.headers[EXPORT_PASSPHRASE_HEADER];
  const passphrase = Array.isArray(value) ? value[0] : value;
  return passphrase || undefined;
}
