import type { Readable } from 'node:stream';

export const IMPORT_MODES = ['replace', 'merge'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

/** Header that carries the export passphrase (never the query string: URLs end up in logs). */
export const EXPORT_PASSPHRASE_HEADER = 'x-export-passphrase';

export interface DataExportRequest {
  /** Secrets are included, encrypted with it, only when given; otherwise they are redacted. */
  passphrase?: string;
}

export interface DataExport {
  jobId: string;
  /** gzip-compressed NDJSON; ends with the trailer line unless the export failed or was cancelled. */
  stream: Readable;
}

export interface DataImportRequest {
  /** gzip-compressed NDJSON as written by an export; consumed (or destroyed) by the import. */
  stream: Readable;
  mode: ImportMode;
  /** Needed when the export was encrypted. */
  passphrase?: string;
  /** replace only: stop the sessions live on workers first instead of refusing with SESSIONS_RUNNING. */
  stopSessions?: boolean;
  /** Accept redacted secrets with no existing value to keep (fresh webhook secrets, unusable key hashes). */
  allowRedacted?: boolean;
}

export interface DataImportResult {
  jobId: string;
  mode: ImportMode;
  /** Rows written per table. */
  tables: Record<string, number>;
}

/**
 * Data export/import streams between the gateway and infra-admin (bytes never travel on the
 * bus). Two plugs: HTTP to infra-admin's internal port (separate processes) and direct calls
 * (embedded mode, where the launcher hands infra-admin's plug to the gateway).
 */
export abstract class DataTransfer {
  /** Which plug this is (`http` or `in-process`). */
  abstract readonly plug: string;
  /** Starts an export job and returns its stream at once; INFRA_BUSY while another export or import runs. */
  abstract exportData(request: DataExportRequest): Promise<DataExport>;
  /** Imports a stream in one transaction and resolves after commit; nothing is changed when it fails. */
  abstract importData(request: DataImportRequest): Promise<DataImportResult>;
}
