import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';

/** Shorter than the driver's message, which quotes the whole (large) statement. */
const MAX_DETAIL = 300;

/**
 * The import's errors as coded 4xx: the driver's constraint errors (duplicate key → IMPORT_CONFLICT,
 * broken foreign key, null, check → IMPORT_INVALID), a cut gzip stream → IMPORT_TRUNCATED.
 * Anything else stays as it is (a 5xx, logged).
 */
export function toImportError(error: unknown, table?: string): unknown {
  if (error instanceof ServiceError) return error;
  const { code, constraint, detail, message } = (error ?? {}) as { code?: unknown; constraint?: unknown; detail?: unknown; message?: unknown };
  const where = table ? ` in table ${table}` : '';
  const details = { table, constraint: typeof constraint === 'string' ? constraint : undefined, detail: typeof detail === 'string' ? detail.slice(0, MAX_DETAIL) : undefined };
  const text = typeof message === 'string' ? message : '';
  switch (code) {
    case 'Z_BUF_ERROR':
    case 'Z_DATA_ERROR':
    case 'ERR_STREAM_PREMATURE_CLOSE':
    case 'ECONNRESET':
      return new ServiceError(ErrorCode.ImportTruncated, `the import stream ended early or is not gzip (${code}); nothing was changed`);
    case '23505': // unique_violation
    case '21000': // the same primary key twice in one upsert
      return new ServiceError(ErrorCode.ImportConflict, `duplicate primary key or unique value${where}; nothing was changed`, details);
    case '23503':
      return new ServiceError(ErrorCode.ImportInvalid, `a row breaks a foreign key${where}; nothing was changed`, details);
    case '23502':
    case '23514':
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22001':
    case '22021': // a byte sequence the encoding refuses (a NUL in text, through COPY)
    case '22P05': // a character the encoding cannot hold (a \u0000 escape, through JSON)
      return new ServiceError(ErrorCode.ImportInvalid, `a value does not fit its column${where}; nothing was changed`, details);
    case 'SQLITE_CONSTRAINT': {
      const reason = /(UNIQUE|PRIMARY KEY|FOREIGN KEY|NOT NULL|CHECK) constraint failed[^\n]*/.exec(text)?.[0]?.slice(0, MAX_DETAIL);
      const conflict = reason?.startsWith('UNIQUE') || reason?.startsWith('PRIMARY KEY');
      return conflict
        ? new ServiceError(ErrorCode.ImportConflict, `duplicate primary key or unique value${where}; nothing was changed`, { table, detail: reason })
        : new ServiceError(ErrorCode.ImportInvalid, `a row breaks a constraint${where}; nothing was changed`, { table, detail: reason });
    }
    default:
      return error;
  }
}
