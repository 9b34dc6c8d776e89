import { ErrorCode } from '@plugboard/contracts';

/** The one error class of the bus socket. `code` says what went wrong; `subject` where. */
export class BusError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly subject?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BusError';
  }

  static timeout(subject: string, timeoutMs: number): BusError {
    return new BusError(ErrorCode.BusTimeout, `no reply on "${subject}" within ${timeoutMs} ms`, subject);
  }

  static noResponders(subject: string): BusError {
    return new BusError(ErrorCode.BusNoResponders, `nobody handles "${subject}"`, subject);
  }

  static unavailable(reason: string, subject?: string): BusError {
    return new BusError(ErrorCode.BusUnavailable, `bus unavailable: ${reason}`, subject);
  }
}
