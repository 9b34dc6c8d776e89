import { ErrorCode } from '@plugboard/contracts';
import { ENGINE_NAMES } from './engine.port';

/** The one error class of the engine socket: a code from `ErrorCode` and a reason a person understands. */
export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** True when trying again cannot help: the sender fails the message at once instead of retrying it. */
    readonly final = false,
  ) {
    super(message);
    this.name = 'EngineError';
  }

  /** The message did not reach WhatsApp; `reason` says why. Another try may work. */
  static sendFailed(reason: string, details?: unknown): EngineError {
    return new EngineError(ErrorCode.SendFailed, `send failed: ${reason}`, details);
  }

  /** The message cannot be sent as asked (the message it quotes or reacts to is unknown, a field is missing): no try will work. */
  static sendImpossible(reason: string, details?: unknown): EngineError {
    return new EngineError(ErrorCode.SendFailed, `send failed: ${reason}`, details, true);
  }

  /** The session's engine cannot work (not connected, browser gone…). */
  static engineFailed(reason: string): EngineError {
    return new EngineError(ErrorCode.EngineFailed, reason);
  }

  static unknownEngine(name: string): EngineError {
    return new EngineError(ErrorCode.ValidationFailed, `Unsupported engine "${name}": expected ${ENGINE_NAMES.join(' or ')}`, {
      accepted: [...ENGINE_NAMES],
    });
  }

  /** An admin command for a session this process does not run. */
  static sessionNotRunning(sessionId: string): EngineError {
    return new EngineError(ErrorCode.NotFound, `session "${sessionId}" is not running on this worker`);
  }
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
