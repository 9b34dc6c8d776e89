import { Controller, Delete, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ErrorCode, MediaIdSchema, type MediaRecord, MediaStreams, type ReplyOf, SessionIdSchema, MediaDirectionSchema } from '@plugboard/contracts';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { BusPort } from '@plugboard/messaging';
import { originalContentType, ServiceError } from '@plugboard/service-kit';
import { Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { RequireRole } from '../auth/require-role.decorator';
import { allowedSessionIds, assertSessionAllowed } from '../auth/session-scope';
import { contentDisposition } from './content-disposition';
import { multipartBoundary, readMultipartFile } from './multipart-file';
import { parseRangeHeader } from './range-header';
import { parseOrThrow } from './validation';

const UploadQuerySchema = z.object({
  sessionId: SessionIdSchema.optional(),
  filename: z.string().min(1).max(255).optional(),
  direction: MediaDirectionSchema.optional(),
});
const ListQuerySchema = z.object({
  sessionId: SessionIdSchema.optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
const IdSchema = z.object({ id: MediaIdSchema });

/**
 * Media over the public API. Bytes stream end to end (client → gateway → media-service →
 * storage and back) through MediaStreams; metadata goes over the bus. A key limited to some
 * sessions uploads and lists only under one of them (`sessionId`) and reaches only their files.
 */
@Controller('api/media')
export class MediaController {
  constructor(
    private readonly streams: MediaStreams,
    private readonly bus: BusPort,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Raw body with its Content-Type, or multipart/form-data with one file part. 201 with id, size, sha256, mimeType. */
  @Post()
  @RequireRole('operator')
  async upload(@Req() request: FastifyRequest, @Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const meta = parseOrThrow(UploadQuerySchema, query);
    const body = request.body as Readable;
    const length = request.headers['content-length'];
    const declared = length === undefined ? undefined : Number(length);
    try {
      assertSessionAllowed(request, meta.sessionId ?? null);
      if (declared !== undefined && declared > this.config.MEDIA_MAX_BYTES) {
        throw new ServiceError(ErrorCode.PayloadTooLarge, `media larger than the ${this.config.MEDIA_MAX_BYTES} bytes allowed`, {
          maxBytes: this.config.MEDIA_MAX_BYTES,
        });
      }
    } catch (error) {
      // Refused before reading: the connection closes rather than swallowing the rest of the body.
      reply.header('connection', 'close');
      throw error;
    }
    const contentType = originalContentType(request);
    const boundary = multipartBoundary(contentType);
    const file = boundary
      ? await readMultipartFile(body, boundary)
      : { stream: body, contentType, filename: meta.filename, size: declared };
    const record = await this.streams
      .upload({
        stream: file.stream,
        contentType: file.contentType,
        size: 'size' in file ? file.size : undefined,
        filename: meta.filename ?? file.filename,
        sessionId: meta.sessionId,
        direction: meta.direction,
      })
      .catch((error: unknown) => {
        // The client may still be sending: answer, then close instead of reading the rest.
        reply.header('connection', 'close');
        throw error;
      });
    await reply.status(201).send({ id: record.id, size: record.size, sha256: record.sha256, mimeType: record.mimeType });
  }

  /** Newest first; `nextCursor` fetches the next page. */
  @Get()
  @RequireRole('viewer')
  list(@Req() request: FastifyRequest, @Query() query: unknown): Promise<ReplyOf<'media.list'>> {
    const filter = parseOrThrow(ListQuerySchema, query);
    assertSessionAllowed(request, filter.sessionId ?? null);
    return this.bus.request('media.list', filter);
  }

  /** The file, or one `Range` of it (206); 416 with `Content-Range: bytes *\/size` past its end. */
  @Get(':id')
  @RequireRole('viewer')
  async download(@Param() params: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { id } = parseOrThrow(IdSchema, params);
    const range = parseRangeHeader(request.headers.range);
    await this.assertFileAllowed(request, id);
    let got;
    try {
      got = await this.streams.download(id, range);
    } catch (error) {
      const details = (error as ServiceError).details as { size?: unknown } | undefined;
      if ((error as ServiceError).code === ErrorCode.RangeNotSatisfiable && typeof details?.size === 'number') {
        reply.header('content-range', `bytes */${details.size}`);
      }
      throw error;
    }
    setFileHeaders(reply, got.record);
    if (got.range) {
      reply.header('content-range', `bytes ${got.range.start}-${got.range.end}/${got.size}`);
      reply.header('content-length', String(got.range.end - got.range.start + 1));
    } else {
      reply.header('content-length', String(got.size));
    }
    await reply.status(got.range ? 206 : 200).send(got.stream);
  }

  @Delete(':id')
  @RequireRole('operator')
  async delete(@Req() request: FastifyRequest, @Param() params: unknown): Promise<ReplyOf<'media.delete'>> {
    const { id } = parseOrThrow(IdSchema, params);
    await this.assertFileAllowed(request, id);
    return this.bus.request('media.delete', { id });
  }

  /** A key limited to some sessions reaches only their files: one more metadata read, for such keys only. */
  private async assertFileAllowed(request: FastifyRequest, id: string): Promise<void> {
    if (allowedSessionIds(request) === undefined) return;
    const record = await this.bus.request('media.get', { id });
    assertSessionAllowed(request, record.sessionId);
  }
}

function setFileHeaders(reply: FastifyReply, record: MediaRecord): void {
  reply.header('content-type', record.mimeType);
  reply.header('accept-ranges', 'bytes');
  reply.header('etag', `"${record.sha256}"`);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('content-disposition', contentDisposition(record.filename, record.id));
}
