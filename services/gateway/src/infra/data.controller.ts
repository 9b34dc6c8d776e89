import { Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { type DataImportResult, DataTransfer, EXPORT_PASSPHRASE_HEADER, ErrorCode, IMPORT_MODES } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { parseOrThrow } from '../media/validation';
import { apiBinaryBody, apiBinaryResponse } from '../openapi/api-content.decorators';
import { apiQuery, apiResponse } from '../openapi/api-schema.decorators';
import { DataImportResultSchema } from './data-transfer.schemas';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const ImportQuerySchema = z
  .object({
    mode: z.enum(IMPORT_MODES, { error: 'mode must be replace or merge' }).describe('replace: every table is emptied, then filled; merge: rows are upserted by primary key'),
    stopSessions: flag.optional().describe('replace only: stop the sessions live on workers first instead of refusing with SESSIONS_RUNNING'),
    allowRedacted: flag.optional().describe('Accept redacted secrets with no existing value to keep (fresh webhook secrets, unusable key hashes)'),
  })
  .strict();

const EXPORT_TYPE = 'application/gzip';
const passphraseHeader = (description: string) => ApiHeader({ name: EXPORT_PASSPHRASE_HEADER, required: false, description });

/**
 * Admin: every user table out as gzip-compressed NDJSON, and back in (replace or merge, one
 * transaction). The bytes stream through to infra-admin (its internal port, or in-process in
 * embedded mode); nothing is buffered or written to disk here. Both are audited here, where the
 * caller's key and address are known; infra-admin keeps only the job state.
 */
@ApiTags('infra')
@Controller('api/infra')
@RequireRole('admin')
export class DataController {
  constructor(
    private readonly transfer: DataTransfer,
    private readonly audit: AuditService,
  ) {}

  /** Secrets are included, encrypted, only with an X-Export-Passphrase header; otherwise redacted. */
  @Get('export-data')
  @passphraseHeader('Include the secrets, encrypted with this passphrase; without it they are redacted')
  @apiBinaryResponse(200, EXPORT_TYPE, 'Every user table as gzip-compressed NDJSON, ending with a trailer line unless the export failed', {
    'content-disposition': 'attachment, named plugboard-export-<time>.ndjson.gz',
    'x-job-id': 'The export job, as GET /api/infra/jobs/{id} shows it',
  })
  async export(@Req() request: FastifyRequest, @Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    parseOrThrow(z.object({}).strict(), refusePassphraseInQuery(query));
    const passphrase = passphraseOf(request);
    const started = await this.transfer.exportData({ passphrase });
    // Recorded once the dump starts: the rows may have left by the time it ends.
    await this.audit.record(request, 'infra.data.export', started.jobId, { encrypted: passphrase !== undefined });
    const name = `plugboard-export-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson.gz`;
    reply.header('content-type', EXPORT_TYPE).header('content-disposition', `attachment; filename=${name}`).header('x-job-id', started.jobId);
    await reply.send(started.stream);
  }

  /** `?mode=replace|merge` (required), `stopSessions`, `allowRedacted`; answers after the commit. */
  @Post('import-data')
  @HttpCode(200)
  @passphraseHeader('The passphrase of an encrypted export')
  @apiQuery(ImportQuerySchema)
  @apiBinaryBody([EXPORT_TYPE], 'An export of GET /api/infra/export-data, read as a stream whatever its Content-Type')
  @apiResponse(200, DataImportResultSchema, 'Committed')
  async import(@Req() request: FastifyRequest, @Query() query: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<DataImportResult> {
    try {
      const options = parseOrThrow(ImportQuerySchema, refusePassphraseInQuery(query));
      const result = await this.transfer.importData({ stream: request.body as Readable, passphrase: passphraseOf(request), ...options });
      await this.audit.record(request, 'infra.data.import', result.jobId, { ...options, tables: result.tables });
      return result;
    } catch (error) {
      // The body may be unread: close the connection after the error rather than read it all.
      reply.header('connection', 'close');
      throw error;
    }
  }
}

/** A passphrase in the URL would end up in access logs and shell history. */
function refusePassphraseInQuery(query: unknown): unknown {
  if (query && typeof query === 'object' && 'passphrase' in query) {
    throw new ServiceError(ErrorCode.ValidationFailed, 'send the passphrase in the X-Export-Passphrase header, never in the URL');
  }
  return query ?? {};
}

function passphraseOf(request: FastifyRequest): string | undefined {
  const value = request.headers[EXPORT_PASSPHRASE_HEADER];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}
