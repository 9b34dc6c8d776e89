import { z } from 'zod';

/** Every error a client or a peer service can see carries one of these codes. */
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  Unauthorized = 'UNAUTHORIZED',
  Forbidden = 'FORBIDDEN',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  RateLimited = 'RATE_LIMITED',
  BusTimeout = 'BUS_TIMEOUT',
  BusNoResponders = 'BUS_NO_RESPONDERS',
  BusUnavailable = 'BUS_UNAVAILABLE',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  InvalidKey = 'INVALID_KEY',
  RangeNotSatisfiable = 'RANGE_NOT_SATISFIABLE',
  StorageUnavailable = 'STORAGE_UNAVAILABLE',
  ShuttingDown = 'SHUTTING_DOWN',
  SsrfBlocked = 'SSRF_BLOCKED',
  SendFailed = 'SEND_FAILED',
  EngineFailed = 'ENGINE_FAILED',
  ApiKeyInQuery = 'API_KEY_IN_QUERY',
  /** Data import: the stream ended early (cut gzip, no trailer). */
  ImportTruncated = 'IMPORT_TRUNCATED',
  /** Data import: a line, a table, a value, a foreign key or the trailer's counts/hash do not hold. */
  ImportInvalid = 'IMPORT_INVALID',
  /** Data import: a row collides with another (duplicate primary key or unique value). */
  ImportConflict = 'IMPORT_CONFLICT',
  /** Data import: written by a newer export format than this release reads. */
  ImportFormatNewer = 'IMPORT_FORMAT_NEWER',
  /** Data import: exported at another schema version than this database's. */
  ImportSchemaMismatch = 'IMPORT_SCHEMA_MISMATCH',
  /** Data import: redacted secrets with no existing value to keep (see allowRedacted). */
  ImportRedacted = 'IMPORT_REDACTED',
  /** Data import: the export is encrypted and the passphrase is missing or wrong. */
  ImportPassphrase = 'IMPORT_PASSPHRASE',
  /** Another data export or import is running. */
  InfraBusy = 'INFRA_BUSY',
  /** A replace import would pull the data from under sessions live on workers. */
  SessionsRunning = 'SESSIONS_RUNNING',
  /** The job was cancelled before it finished (an import rolled back). */
  JobCancelled = 'JOB_CANCELLED',
  SessionNotReady = 'SESSION_NOT_READY',
  MediaNotFound = 'MEDIA_NOT_FOUND',
  Internal = 'INTERNAL',
}

export const ErrorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** The one error shape of the HTTP API: `{ error: { code, message, details? } }`. */
export interface ErrorResponse {
  error: ErrorBody;
}
