import { type MediaDownload, type MediaImportSummary, type MediaRange, type MediaRecord, MediaStreams, type MediaUpload, type StorageCheckReport } from '@plugboard/contracts';
import { InternalHttpClient } from '../internal/internal-http-client';
import type { Readable } from 'node:stream';

export interface HttpMediaStreamsOptions {
  /** MEDIA_SERVICE_URL */
  baseUrl: string;
  /** INTERNAL_TOKEN, sent as X-Internal-Token. */
  token?: string;
}

/**
 * MediaStreams over the media-service's internal HTTP port (separate processes). Bodies are
 * streamed both ways; the media-service's coded errors come back as the same codes, and an
 * unreachable media-service is SERVICE_UNAVAILABLE.
 */
export class HttpMediaStreams extends MediaStreams {
  readonly plug = 'http';
  private readonly http: InternalHttpClient;

  constructor(options: HttpMediaStreamsOptions) {
    super();
    this.http = new InternalHttpClient({ ...options, peer: 'media-service' });
  }

  async upload(input: MediaUpload): Promise<MediaRecord> {
    const query = new URLSearchParams();
    for (const name of ['id', 'sessionId', 'messageId', 'filename', 'direction'] as const) {
      const value = input[name];
      if (value !== undefined) query.set(name, value);
    }
    const headers: Record<string, string> = { 'content-type': input.contentType || 'application/octet-stream' };
    if (input.size !== undefined) headers['content-length'] = String(input.size);
    const response = await this.http.call(`/internal/media?${query}`, { method: 'POST', body: input.stream, headers }, [201]);
    return (await response.body.json()) as MediaRecord;
  }

  async download(id: string, range?: MediaRange): Promise<MediaDownload> {
    const headers: Record<string, string> = {};
    if (range && 'suffix' in range) headers['x-range-suffix'] = String(range.suffix);
    if (range && 'start' in range) {
      headers['x-range-start'] = String(range.start);
      if (range.end !== undefined) headers['x-range-end'] = String(range.end);
    }
    const response = await this.http.call(`/internal/media/${encodeURIComponent(id)}`, { method: 'GET', headers }, [200, 206]);
    const record = JSON.parse(Buffer.from(String(response.headers['x-media-record']), 'base64url').toString('utf8')) as MediaRecord;
    const delivered = /^(\d+)-(\d+)$/.exec(String(response.headers['x-media-range'] ?? ''));
    return {
      record,
      stream: response.body,
      size: Number(response.headers['x-media-size']),
      range: delivered ? { start: Number(delivered[1]), end: Number(delivered[2]) } : undefined,
    };
  }

  async exportArchive(): Promise<Readable> {
    return (await this.http.call('/internal/storage/export', { method: 'GET' }, [200])).body;
  }

  async importArchive(stream: Readable): Promise<MediaImportSummary> {
    const response = await this.http.call(
      '/internal/storage/import',
      { method: 'POST', body: stream, headers: { 'content-type': 'application/gzip' } },
      [200, 201],
    );
    return (await response.body.json()) as MediaImportSummary;
  }

  async checkStorage(): Promise<StorageCheckReport> {
    return (await (await this.http.call('/internal/storage/check', { method: 'GET' }, [200])).body.json()) as StorageCheckReport;
  }

  /** Closes the connection pool. */
  close(): Promise<void> {
    return this.http.close();
  }
}
