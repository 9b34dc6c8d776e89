import { Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ErrorCode, type MediaRange, MediaDirectionSchema, MediaIdSchema } from '@plugboard/contracts';
import { InternalTokenGuard, originalContentType, ServiceError } from '@plugboard/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { MediaArchiveExport } from './media-archive-export';
import { MediaArchiveImport } from './media-archive-import';
import { MediaStore } from './media-store';
import { StorageCheck } from './storage-check';

/** Routes whose body is read as a raw stream (see installRawStreamBody). */
export const INTERNAL_STREAM_ROUTES = ['POST /internal/media', 'POST /internal/storage/import'];

const UploadQuerySchema = z.object({
  id: MediaIdSchema.optional(),
  sessionId: z.string().min(1).max(64).optional(),
  messageId: z.string().min(1).max(255).optional(),
  filename: z.string().min(1).max(255).optional(),
  direction: MediaDirectionSchema.optional(),
});

const integer = z.coerce.number().int().nonnegative();
const RangeHeadersSchema = z.object({
  'x-range-start': integer.optional(),
  'x-range-end': integer.optional(),
  'x-range-suffix': integer.optional(),
});

/**
 * The media-service's internal byte streams, on its own HTTP_PORT (separate processes only;
 * embedded mode calls the same services in-process). The gateway is the only client: public
 * checks (roles, Range parsing, headers for browsers) are its job, these trust its input shape.
 */
@Controller('internal')
@UseGuards(InternalTokenGuard)
export class InternalMediaController {
  constructor(
    private readonly store: MediaStore,
    private readonly exporter: MediaArchiveExport,
    private readonly importer: MediaArchiveImport,
    private readonly checker: StorageCheck,
  ) {}

  /** Body: the file; metadata in the query; Content-Length (when sent) is the declared size. */
  @Post('media')
  async upload(@Req() request: FastifyRequest, @Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const meta = parse(UploadQuerySchema, query);
    const length = request.headers['content-length'];
    const record = await this.store
      .upload({ stream: request.body as Readable, contentType: originalContentType(request), size: length === undefined ? undefined : Number(length), ...meta })
      .catch((error: unknown) => {
        // The body may be unread: close the connection after the error rather than read it all.
        reply.header('connection', 'close');
        throw error;
      });
    await reply.status(201).send(record);
  }

  /** The record travels base64url-encoded in X-Media-Record, the range asked in X-Range-Start/End/Suffix. */
  @Get('media/:id')
  async download(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const headers = parse(RangeHeadersSchema, request.headers);
    const range: MediaRange | undefined =
      headers['x-range-suffix'] !== undefined
        ? { suffix: headers['x-range-suffix'] }
        : headers['x-range-start'] !== undefined
          ? { start: headers['x-range-start'], end: headers['x-range-end'] }
          : undefined;
    const got = await this.store.download(parse(MediaIdSchema, id), range);
    reply.header('x-media-record', Buffer.from(JSON.stringify(got.record)).toString('base64url'));
    reply.header('x-media-size', String(got.size));
    if (got.range) reply.header('x-media-range', `${got.range.start}-${got.range.end}`);
    const length = got.range ? got.range.end - got.range.start + 1 : got.size;
    reply.header('content-length', String(length)).header('content-type', 'application/octet-stream');
    await reply.status(got.range ? 206 : 200).send(got.stream);
  }

  @Get('storage/export')
  async export(@Res() reply: FastifyReply): Promise<void> {
    const archive = await this.exporter.export();
    await reply.header('content-type', 'application/gzip').send(archive);
  }

  @Post('storage/import')
  async import(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.importer.import(request.body as Readable).catch((error: unknown) => {
      reply.header('connection', 'close');
      throw error;
    });
  }

  @Get('storage/check')
  check(): Promise<unknown> {
    return this.checker.check();
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ServiceError(ErrorCode.ValidationFailed, 'invalid request', { issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })) });
  }
  return result.data;
}
