import { EngineError } from '../engine/engine.errors';

/** A message that can never be sent as stored (its file is gone, the message it quotes is unknown): no retry helps. */
export class UnsendableMessage extends Error {}

/**
 * Whether a send error ends the message at once: the row cannot be sent as stored, or the
 * engine says no try can work (`EngineError.final`). Any other error is tried again, up to
 * SEND_MAX_ATTEMPTS.
 */
export function isFinalSendError(error: unknown): boolean {
  return error instanceof UnsendableMessage || (error instanceof EngineError && error.final);
}
