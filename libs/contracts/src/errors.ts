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
