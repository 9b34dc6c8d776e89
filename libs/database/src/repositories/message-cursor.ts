import { ErrorCode } from '@plugboard/contracts';
import { DatabaseError } from '../database.errors';

/** Position after the last row of a history page: keyset on (createdAt, id). */
export interface MessageCursor {
  createdAt: Date;
  id: string;
}

/** Opaque to clients: base64url of `[epochMillis, id]`. */
export function encodeMessageCursor(cursor: MessageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.getTime(), cursor.id])).toString('base64url');
}

/** Throws VALIDATION_FAILED for anything `encodeMessageCursor` did not produce. */
export function decodeMessageCursor(raw: string): MessageCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { createdAt: new Date(value[0]), id: value[1] };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new DatabaseError(ErrorCode.ValidationFailed, 'invalid history cursor', { cursor: raw });
}
