import { type DataExport, type DataExportRequest, type DataImportRequest, type DataImportResult, DataTransfer, EXPORT_PASSPHRASE_HEADER } from '@plugboard/contracts';
import { InternalHttpClient } from '@plugboard/service-kit';

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
  private readonly http: InternalHttpClient;

  constructor(options: HttpDataTransferOptions) {
    super();
    this.http = new InternalHttpClient({ ...options, peer: 'infra-admin' });
  }

  async exportData(input: DataExportRequest): Promise<DataExport> {
    const headers: Record<string, string> = input.passphrase ? { [EXPORT_PASSPHRASE_HEADER]: input.passphrase } : {};
    const response = await this.http.call('/internal/data/export', { method: 'GET', headers }, [200]);
    return { jobId: String(response.headers['x-job-id'] ?? ''), stream: response.body };
  }

  async importData(input: DataImportRequest): Promise<DataImportResult> {
    const query = new URLSearchParams({ mode: input.mode });
    if (input.stopSessions !== undefined) query.set('stopSessions', String(input.stopSessions));
    if (input.allowRedacted !== undefined) query.set('allowRedacted', String(input.allowRedacted));
    const headers: Record<string, string> = { 'content-type': 'application/gzip' };
    if (input.passphrase) headers[EXPORT_PASSPHRASE_HEADER] = input.passphrase;
    const response = await this.http.call(`/internal/data/import?${query}`, { method: 'POST', body: input.stream, headers }, [200, 201]);
    return (await response.body.json()) as DataImportResult;
  }

  /** Closes the connection pool. */
  close(): Promise<void> {
    return this.http.close();
  }
}
