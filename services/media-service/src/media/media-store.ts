import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import {
  ErrorCode,
  EVENT_ENVELOPE_VERSION,
  type MediaDownload,
  type MediaRange,
  type MediaRecord,
  type MediaUpload,
  SessionIdSchema,
} from '@plugboard/contracts';
import { MediaRepository } from '@plugboard/database';
import { BusPort } from '@plugboard/messaging';
import { ServiceError, ServiceLogger } from '@plugboard/service-kit';
import { StoragePort } from '@plugboard/storage';
import { randomUUID } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { ByteCap, payloadTooLarge } from './byte-cap';
import { mediaKey, toMediaRecord } from './media-record';

const DEFAULT_PAGE = 50;

/** Files and their rows: upload, download (ranges), metadata, delete. Bytes stream through, never buffered whole. */
@Injectable()
export class MediaStore {
  constructor(
    @Inject(StoragePort) private readonly storage: StoragePort,
    private readonly media: MediaRepository,
    private readonly bus: BusPort,
    private readonly logger: ServiceLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Streams into storage under a new id or the caller's (capped at MEDIA_MAX_BYTES, checked
   * against the declared size), then writes the row; a row that cannot be written takes the
   * file with it. Publishes `media.stored` for uploads that belong to a session.
   */
  async upload(input: MediaUpload): Promise<MediaRecord> {
    const max = this.config.MEDIA_MAX_BYTES;
    if (input.size !== undefined && input.size > max) throw payloadTooLarge(max);
    const repeated = input.id ? await this.media.findById(input.id) : null;
    if (repeated) {
      // Read to the end, so an HTTP caller's request completes like any upload.
      input.stream.resume();
      await finished(input.stream);
      return toMediaRecord(repeated);
    }
    const id = input.id ?? randomUUID();
    // A caller's id may race a second upload of itself: each stores under its own key, and the
    // one whose row loses takes only its own file with it.
    const key = mediaKey(input.id ? randomUUID() : id);
    // pipe, not pipeline: a failed put must not destroy the source, which may be the HTTP
    // request whose response still has to carry the error (the caller closes the connection).
    const capped = new ByteCap(max);
    const forward = (error: Error) => capped.destroy(error);
    input.stream.once('error', forward).pipe(capped);
    let stored;
    try {
      stored = await this.storage.put(key, capped, { size: input.size, contentType: input.contentType });
    } catch (error) {
      input.stream.unpipe(capped);
      // The cap's own error is the one to report, not the storage's view of a failed source.
      if (capped.errored instanceof ServiceError) throw capped.errored;
      throw error;
    }
    try {
      const row = await this.media.create({
        id,
        key,
        sessionId: input.sessionId ?? null,
        messageId: input.messageId ?? null,
        direction: input.direction ?? 'outbound',
        mimeType: input.contentType || 'application/octet-stream',
        size: stored.size,
        sha256: stored.sha256,
        filename: input.filename ?? null,
      });
      const record = toMediaRecord(row);
      await this.announce(record);
      return record;
    } catch (error) {
      await this.storage.delete(key).catch(() => undefined);
      // The same id uploaded twice at once: the row that won is the answer to both.
      const winner = input.id && (error as ServiceError).code === ErrorCode.Conflict ? await this.media.findById(input.id) : null;
      if (winner) return toMediaRecord(winner);
      throw error;
    }
  }

  /** The file, or the asked range of it; RANGE_NOT_SATISFIABLE carries the size for `Content-Range: bytes *\/size`. */
  async download(id: string, range?: MediaRange): Promise<MediaDownload> {
    const record = await this.get(id);
    if (!range) {
      const got = await this.storage.get(record.key);
      return { record, stream: got.stream, size: got.size };
    }
    const { size } = record;
    const start = 'suffix' in range ? Math.max(0, size - range.suffix) : range.start;
    const unsatisfiable = 'suffix' in range ? range.suffix === 0 || size === 0 : start >= size;
    if (unsatisfiable) {
      throw new ServiceError(ErrorCode.RangeNotSatisfiable, `range not satisfiable for ${size} bytes`, { size });
    }
    const end = 'suffix' in range ? size - 1 : Math.min(range.end ?? size - 1, size - 1);
    const got = await this.storage.get(record.key, { start, end });
    return { record, stream: got.stream, size: got.size, range: got.range ?? { start, end } };
  }

  /** NOT_FOUND when there is no such row. */
  async get(id: string): Promise<MediaRecord> {
    const row = await this.media.findById(id);
    if (!row) throw new ServiceError(ErrorCode.NotFound, `no media "${id}"`);
    return toMediaRecord(row);
  }

  async list(options: { sessionId?: string; cursor?: string; limit?: number }): Promise<{ items: MediaRecord[]; nextCursor: string | null }> {
    const page = await this.media.list({ ...options, limit: options.limit ?? DEFAULT_PAGE });
    return { items: page.items.map(toMediaRecord), nextCursor: page.nextCursor };
  }

  /** File first, then the row: a failed storage delete keeps the row, so the file is never lost track of. */
  async delete(id: string): Promise<{ id: string; deleted: true }> {
    const record = await this.get(id);
    await this.storage.delete(record.key);
    await this.media.delete(id);
    return { id, deleted: true };
  }

  private async announce(record: MediaRecord): Promise<void> {
    if (!record.sessionId || !SessionIdSchema.safeParse(record.sessionId).success) return;
    try {
      await this.bus.publishEvent({
        id: randomUUID(),
        type: 'media.stored',
        version: EVENT_ENVELOPE_VERSION,
        sessionId: record.sessionId,
        occurredAt: new Date().toISOString(),
        data: { ...record },
      });
    } catch (error) {
      // The file and row are stored; a lost notification must not turn the upload into a failure.
      this.logger.warn(`media.stored for ${record.id} not published: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
