import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  ErrorCode,
  type MediaDownload,
  type MediaImportSummary,
  type MediaRecord,
  MediaStreams,
  type MediaUpload,
  type StorageCheckReport,
} from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';

/** MediaStreams keeping uploads in memory: enough for unit tests of code that stores media. */
export class MemoryMediaStreams extends MediaStreams {
  readonly plug = 'memory';
  readonly files = new Map<string, { record: MediaRecord; bytes: Buffer }>();

  async upload(input: MediaUpload): Promise<MediaRecord> {
    const chunks: Buffer[] = [];
    for await (const chunk of input.stream) chunks.push(Buffer.from(chunk as Buffer));
    const bytes = Buffer.concat(chunks);
    const repeated = input.id && this.files.get(input.id);
    if (repeated) return repeated.record;
    const id = input.id ?? randomUUID();
    const record: MediaRecord = {
      id,
      sessionId: input.sessionId ?? null,
      messageId: input.messageId ?? null,
      direction: input.direction ?? 'outbound',
      key: `media/${id}`,
      mimeType: input.contentType ?? 'application/octet-stream',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      filename: input.filename ?? null,
      createdAt: new Date().toISOString(),
    };
    this.files.set(id, { record, bytes });
    return record;
  }

  async download(id: string): Promise<MediaDownload> {
    throw new ServiceError(ErrorCode.NotFound, `media ${id} is not downloadable here`);
  }

  exportArchive(): Promise<Readable> {
    throw new Error('not supported');
  }

  importArchive(): Promise<MediaImportSummary> {
    throw new Error('not supported');
  }

  checkStorage(): Promise<StorageCheckReport> {
    throw new Error('not supported');
  }
}
