import { type DataExport, type DataExportRequest, type DataImportRequest, type DataImportResult, DataTransfer, EXPORT_PASSPHRASE_HEADER, ErrorCode } from '@plugboard/contracts';
import { ServiceError, isErrorCode } from '@plugboard/service-kit';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';

export interface HttpDataTransferOptions {
  /** INFRA_ADMIN_URL */
  baseUrl: string;
  /** INTERNAL_TOKEN, sent as X-Internal-Token. */
  token?: string;
}

/**
 * DataTransfer over infra-admin's internal HTTP port (separate processes). Both streams are
 * piped, never buffered; infra-admin's coded errors come back as the same codes, and an
 * unreachable infra-admin is SERVICE_UNAVAILABLE.
 */
export class HttpDataTransfer extends DataTransfer {
  readonly plug = 'http';
  // No body or headers timeout: an import answers only after its commit, however long that takes.
  private readonly agent = new Agent({ bodyTimeout: 0, headersTimeout: 0, keepAliveTimeout: 10_000 });

  constructor(private readonly options: HttpDataTransferOptions) {
    super();
  }

  async exportData(input: DataExportRequest): Promise<DataExport> {
    const headers: Record<string, string> = input.passphrase ? { [EXPORT_PASSPHRASE_HEADER]: input.passphrase } : {};
    const response = await this.call('/internal/data/export', { method: 'GET', headers }, [200]);
    return { jobId: String(response.headers['x-job-id'] ?? ''), stream: response.body };
  }

  async importData(input: DataImportRequest): Promise<DataImportResult> {
    const query = new URLSearchParams({ mode: input.mode });
    if (input.stopSessions !== undefined) query.set('stopSessions', String(input.stopSessions));
    if (input.allowRedacted !== undefined) query.set('allowRedacted', String(input.allowRedacted));
    const headers: Record<string, string> = { 'content-type': 'application/gzip' };
    if (input.passphrase) headers[EXPORT_PASSPHRASE_HEADER] = input.passphrase;
    const response = await this.call(`/internal/data/import?${query}`, { method: 'POST', body: input.stream, headers }, [200, 201]);
    return (await response.body.json()) as DataImportResult;
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
        throw new ServiceError(ErrorCode.ServiceUnavailable, `infra-admin unreachable at ${this.options.baseUrl}`);
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
  return new ServiceError(ErrorCode.Internal, `infra-admin answered ${response.statusCode}`);
}
