import { ConnectionException, ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ErrorCode } from '@plugboard/contracts';

/** The one error class of the database socket; `code` says what went wrong. */
export class DatabaseError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseError';
  }

  static conflict(message: string, details?: unknown): DatabaseError {
    return new DatabaseError(ErrorCode.Conflict, message, details);
  }

  static notFound(what: string, id: string): DatabaseError {
    return new DatabaseError(ErrorCode.NotFound, `${what} "${id}" does not exist`, { id });
  }

  static unavailable(reason: string, cause?: unknown): DatabaseError {
    return new DatabaseError(ErrorCode.ServiceUnavailable, `database unavailable: ${reason}`, undefined, { cause });
  }

  static schemaTooNew(found: number, supported: number): DatabaseError {
    return new DatabaseError(
      ErrorCode.Internal,
      `database schema version ${found} is newer than this release supports (${supported}): upgrade Plugboard or restore a matching backup`,
      { found, supported },
    );
  }

  static unknownMigrations(names: string[]): DatabaseError {
    return new DatabaseError(
      ErrorCode.Internal,
      `database has migrations this release does not know (${names.join(', ')}): upgrade Plugboard or restore a matching backup`,
      { migrations: names },
    );
  }
}

/**
 * Maps driver failures to `DatabaseError`: a lost connection becomes SERVICE_UNAVAILABLE so
 * callers can tell "try later" from their own mistakes; anything unknown is passed through.
 */
export function translateDriverError(error: unknown): unknown {
  if (error instanceof DatabaseError) return error;
  if (error instanceof ConnectionException || isNetworkError(error)) {
    return DatabaseError.unavailable(error instanceof Error ? error.message : String(error), error);
  }
  if (error instanceof UniqueConstraintViolationException) {
    return DatabaseError.conflict('a row with the same unique value already exists', { cause: error.message });
  }
  if (error instanceof ForeignKeyConstraintViolationException) {
    return new DatabaseError(ErrorCode.NotFound, 'the referenced row does not exist', { cause: error.message });
  }
  return error;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return error instanceof Error && /Connection terminated|Knex: Timeout acquiring a connection/.test(error.message);
}
