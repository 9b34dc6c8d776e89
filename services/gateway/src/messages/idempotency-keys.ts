import { ErrorCode } from '@plugboard/contracts';
import { type Database, MessageEntity, translateDriverError } from '@plugboard/database';
import { ServiceError } from '@plugboard/service-kit';

/** Marks a 202 that answers an earlier request because of its Idempotency-Key (Stripe's header). */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** What a send answers, and whether it is an earlier request's answer (IDEMPOTENT_REPLAYED_HEADER). */
export interface Accepted<T> {
  body: T;
  replayed: boolean;
}

/** Printable ASCII, 1-255 characters: what the `Idempotency-Key` header may hold. */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** The `Idempotency-Key` header, or null without one; 400 for anything else than 1-255 printable characters. */
export function parseIdempotencyKey(raw: string | string[] | undefined): string | null {
  if (raw === undefined) return null;
  const value = Array.isArray(raw) ? raw : [raw];
  if (value.length !== 1 || !KEY_PATTERN.test(value[0])) {
    throw new ServiceError(ErrorCode.ValidationFailed, 'Idempotency-Key must be one header of 1-255 printable ASCII characters', {
      header: 'idempotency-key',
    });
  }
  return value[0];
}

/**
 * Idempotency keys of outgoing messages: a key names its first message for IDEMPOTENCY_WINDOW
 * (a bulk send's key is on its first message, so it names the batch through that row).
 * Reads and the conditional release go straight to the messages table (the messages
 * repository keeps keys forever; the window is the API's rule).
 */
export class IdempotencyKeys {
  constructor(
    private readonly database: Database,
    private readonly windowMs: number,
  ) {}

  /**
   * The message the key still names, or null. A key older than the window is released
   * first (its row keeps everything but the key), so the caller creates a new message.
   */
  async live(sessionId: string, key: string, now = Date.now()): Promise<MessageEntity | null> {
    try {
      return await this.find(sessionId, key, now);
    } catch (error) {
      throw translateDriverError(error);
    }
  }

  private async find(sessionId: string, key: string, now: number): Promise<MessageEntity | null> {
    const em = this.database.orm.em.fork();
    const row = await em.findOne(MessageEntity, { sessionId, idempotencyKey: key });
    if (!row) return null;
    if (now - row.createdAt.getTime() < this.windowMs) return row;
    // Conditional on id and key: of concurrent releases one applies, the others change nothing.
    await em.nativeUpdate(MessageEntity, { id: row.id, idempotencyKey: key }, { idempotencyKey: null, updatedAt: new Date(now) });
    return null;
  }
}
