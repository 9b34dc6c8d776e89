import { Controller, Delete, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiParam, ApiTags } from '@nestjs/swagger';
import { ErrorCode, MediaIdSchema, type MediaRecord, MediaStreams, MediaSubjects, type ReplyOf } from '@plugboard/contracts';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { BusPort } from '@plugboard/messaging';
import { originalContentType, ServiceError } from '@plugboard/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { RequireRole } from '../auth/require-role.decorator';
import { allowedSessionIds, assertSessionAllowed } from '../auth/session-scope';
import { apiBinaryBody, apiBinaryResponse, apiErrorResponse } from '../openapi/api-content.decorators';
import { apiQuery, apiResponse } from '../openapi/api-schema.decorators';
import { openApiSchema } from '../openapi/zod-json-schema';
import { contentDisposition } from './content-disposition';
import { IdSchema, ListQuerySchema, type MediaUploaded, MediaUploadedSchema, UploadQuerySchema } from './media.schemas';
import { multipartBoundary, readMultipartFile } from './multipart-file';
import { parseRangeHeader } from './range-header';
import { parseOrThrow } from './validation';

/** The headers of a file answer, full or partial. */
const FILE_HEADERS = {
  'content-type': 'The type the file was stored with',
  'content-length': 'Bytes in this answer',
  'content-disposition': 'attachment, with the stored filename',
  etag: 'The SHA-256 of the whole file, quoted',
  'accept-ranges': 'bytes',
};
const MEDIA_ID_PARAM = ApiParam({ name: 'id', schema: openApiSchema(MediaIdSchema) });

/**
 * Media over the public API. Bytes stream end to end (client → gateway → media-service →
 * storage and back) through MediaStreams; metadata goes over the bus. A key limited to some
 * sessions uploads and lists only under one of them (`sessionId`) and reaches only their files.
 */
@ApiTags('media')
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
  @apiQuery(UploadQuerySchema)
  @apiBinaryBody(['*/*', 'multipart/form-data'], 'The file: the raw bytes with their Content-Type, or a form with one file part')
  @apiResponse(201, MediaUploadedSchema, 'Stored: the id to send it with, and its size and SHA-256 to check it arrived whole')
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
    const uploaded: MediaUploaded = { id: record.id, size: record.size, sha256: record.sha256, mimeType: record.mimeType };
    await reply.status(201).send(uploaded);
  }

  /** Newest first; `nextCursor` fetches the next page. */
  @Get()
  @RequireRole('viewer')
  @apiQuery(ListQuerySchema)
  @apiResponse(200, MediaSubjects['media.list'].reply)
  list(@Req() request: FastifyRequest, @Query() query: unknown): Promise<ReplyOf<'media.list'>> {
    const filter = parseOrThrow(ListQuerySchema, query);
    assertSessionAllowed(request, filter.sessionId ?? null);
    return this.bus.request('media.list', filter);
  }

  /** The file, or one `Range` of it (206); 416 with `Content-Range: bytes *\/size` past its end. */
  @Get(':id')
  @RequireRole('viewer')
  @MEDIA_ID_PARAM
  @ApiHeader({ name: 'Range', required: false, description: 'One range: `bytes=start-end`, `bytes=start-` or `bytes=-suffixLength`; anything else gets the whole file' })
  @apiBinaryResponse(200, '*/*', 'The whole file', FILE_HEADERS)
  @apiBinaryResponse(206, '*/*', 'The requested range of the file', { ...FILE_HEADERS, 'content-range': '`bytes start-end/size`' })
  @apiErrorResponse(416, 'RANGE_NOT_SATISFIABLE: the range starts past the end of the file', { 'content-range': '`bytes */size`' })
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
  @MEDIA_ID_PARAM
  @apiResponse(200, MediaSubjects['media.delete'].reply)
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
