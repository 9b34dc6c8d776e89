import { ErrorCode } from '@plugboard/contracts';

/** The one error class of the service kit and the services: a code, a safe message, optional details. */
export class ServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.Internal]: 500,
  [ErrorCode.BusUnavailable]: 503,
  [ErrorCode.BusNoResponders]: 503,
  [ErrorCode.ServiceUnavailable]: 503,
  [ErrorCode.ShuttingDown]: 503,
  [ErrorCode.BusTimeout]: 504,
  [ErrorCode.InvalidKey]: 400,
  [ErrorCode.RangeNotSatisfiable]: 416,
  [ErrorCode.StorageUnavailable]: 503,
  [ErrorCode.ApiKeyInQuery]: 400,
  [ErrorCode.SsrfBlocked]: 400,
  [ErrorCode.SendFailed]: 502,
  [ErrorCode.EngineFailed]: 503,
  [ErrorCode.ImportTruncated]: 400,
  [ErrorCode.ImportInvalid]: 422,
  [ErrorCode.ImportConflict]: 409,
  [ErrorCode.ImportFormatNewer]: 422,
  [ErrorCode.ImportSchemaMismatch]: 409,
  [ErrorCode.ImportRedacted]: 422,
  [ErrorCode.ImportPassphrase]: 400,
  [ErrorCode.InfraBusy]: 409,
  [ErrorCode.SessionsRunning]: 409,
  [ErrorCode.JobCancelled]: 409,
  [ErrorCode.SessionNotReady]: 409,
  [ErrorCode.MediaNotFound]: 404,
};

const ERROR_CODES = new Set<string>(Object.values(ErrorCode));

/** True for a string that is one of our error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && ERROR_CODES.has(value);
}

/** The HTTP status a client gets for an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** The error code for an HTTP status raised by the framework (404 route, 413 body, …). */
export function errorCodeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 415:
    case 422:
      return ErrorCode.ValidationFailed;
    case 401:
      return ErrorCode.Unauthorized;
    case 403:
      return ErrorCode.Forbidden;
    case 404:
    case 405:
      return ErrorCode.NotFound;
    case 409:
      return ErrorCode.Conflict;
    case 413:
      return ErrorCode.PayloadTooLarge;
    case 429:
      return ErrorCode.RateLimited;
    case 503:
      return ErrorCode.ServiceUnavailable;
    default:
      return status < 500 ? ErrorCode.ValidationFailed : ErrorCode.Internal;
  }
}
