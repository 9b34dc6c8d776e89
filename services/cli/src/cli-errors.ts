/** Exit codes: 0 done, 1 the server or the transfer failed, 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A wrong command line: unknown command or option, missing argument, unreadable input file. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;

  constructor(
    message: string,
    /** The command whose usage to show after the message. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The server said no: its `{ error: { code, message, details? } }` with the HTTP status. */
export class ApiError extends Error {
  readonly exitCode = EXIT_FAILED;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The request never got an answer (server down, wrong URL) or a local file could not be written. */
export class TransferError extends Error {
  readonly exitCode = EXIT_FAILED;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransferError';
  }
}
