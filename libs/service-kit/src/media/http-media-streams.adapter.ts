import { ErrorCode, type MediaDownload, type MediaImportSummary, type MediaRange, type MediaRecord, MediaStreams, type MediaUpload, type StorageCheckReport } from '@plugboard/contracts';
import { ServiceError, isErrorCode } from '../service-kit.errors';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';

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
  // No body or headers timeout: a large upload or download may take its time; the socket still times out when idle.
  private readonly agent = new Agent({ bodyTimeout: 0, headersTimeout: 0, keepAliveTimeout: 10_000 });

  constructor(private readonly options: HttpMediaStreamsOptions) {
    super();
  }

  async upload(input: MediaUpload): Promise<MediaRecord> {
    const query = new URLSearchParams();
    for (const name of ['sessionId', 'messageId', 'filename', 'direction'] as const) {
      const value = input[name];
      if (value !== undefined) query.set(name, value);
    }
    const headers: Record<string, string> = { 'content-type': input.contentType || 'application/octet-stream' };
    if (input.size !== undefined) headers['content-length'] = String(input.size);
    const response = await this.call(`/internal/media?${query}`, { method: 'POST', body: input.stream, headers }, [201]);
    return (await response.body.json()) as MediaRecord;
  }

  async download(id: string, range?: MediaRange): Promise<MediaDownload> {
    const headers: Record<string, string> = {};
    if (range && 'suffix' in range) headers['x-range-suffix'] = String(range.suffix);
    if (range && 'start' in range) {
      headers['x-range-start'] = String(range.start);
      if (range.end !== undefined) headers['x-range-end'] = String(range.end);
    }
    const response = await this.call(`/internal/media/${encodeURIComponent(id)}`, { method: 'GET', headers }, [200, 206]);
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
    return (await this.call('/internal/storage/export', { method: 'GET' }, [200])).body;
  }

  async importArchive(stream: Readable): Promise<MediaImportSummary> {
    const response = await this.call(
      '/internal/storage/import',
      { method: 'POST', body: stream, headers: { 'content-type': 'application/gzip' } },
      [200, 201],
    );
    return (await response.body.json()) as MediaImportSummary;
  }

  async checkStorage(): Promise<StorageCheckReport> {
    return (await (await this.call('/internal/storage/check', { method: 'GET' }, [200])).body.json()) as StorageCheckReport;
  }

  /** Closes the connection pool. */
  close(): Promise<void> {
    return this.agent.close();
  }

  private async call(
    path: string,
    options: { method: 'GET' | 'POST'; body?: Readable; headers?: Record<string, string> },
    expected: number[],
  ): Promise<Dispatcher.ResponseData> {
    const headers = { ...options.headers, ...(this.options.token ? { 'x-internal-token': this.options.token } : {}) };
    let response: Dispatcher.ResponseData;
    try {
      response = await request(new URL(path, this.options.baseUrl), { ...options, headers, dispatcher: this.agent });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new ServiceError(ErrorCode.ServiceUnavailable, `media-service unreachable at ${this.options.baseUrl}`);
      }
      throw error;
    }
    if (expected.includes(response.statusCode)) return response;
    throw await remoteError(response);
  }
}

async function remoteError(response: Dispatcher.ResponseData): Promise<ServiceError> {
  const text = await response.body.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (error && isErrorCode(error.code) && typeof error.message === 'string') return new ServiceError(error.code, error.message, error.details);
  } catch {
    // Not our error shape: reported below.
  }
  return new ServiceError(ErrorCode.Internal, `media-service answered ${response.statusCode}`);
}
