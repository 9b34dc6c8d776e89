import { ErrorCode, ReplyOf, RequestOf, RequestSubject } from '@plugboard/contracts';
import { decodeJson, encodeErrorReply, encodeReply, validateRequest } from './bus-codec';
import { BusLogger, errorMessage } from './bus-logger';
import type { MessageContext } from './bus.port';
import { withPayloadSession } from '../tracing/message-tracing';

/**
 * Turns request bytes into reply bytes; shared by every plug so all answer alike. A handler
 * that answers synchronously gets its reply back synchronously: no promise per request.
 */
export type Responder = (data: Uint8Array, subject: string) => Uint8Array | Promise<Uint8Array>;

/**
 * Wraps a request handler: decode, validate, run, encode. A malformed request gets a
 * `VALIDATION_FAILED` reply and is logged once per handled subject, so a noisy or broken
 * peer cannot flood the log; errors without a code are logged as they are bugs.
 */
export function createResponder<S extends RequestSubject>(
  subject: S,
  pattern: string,
  handler: (payload: RequestOf<S>, context: MessageContext) => Promise<ReplyOf<S>> | ReplyOf<S>,
  logger: BusLogger,
): Responder {
  let malformedLogged = false;
  const fail = (error: unknown): Uint8Array => {
    if (typeof (error as { code?: unknown } | undefined)?.code !== 'string') {
      logger.error(`bus: handler of "${pattern}" failed: ${errorMessage(error)}`);
    }
    return encodeErrorReply(error);
  };
  return (data, wireSubject) => {
    let payload: RequestOf<S>;
    try {
      payload = validateRequest(subject, decodeJson(data, wireSubject), wireSubject);
    } catch (error) {
      if (!malformedLogged) {
        malformedLogged = true;
        logger.warn(`bus: malformed request on "${pattern}" answered with ${ErrorCode.ValidationFailed} (logged once): ${errorMessage(error)}`);
      }
      return encodeErrorReply(error);
    }
    let result: Promise<ReplyOf<S>> | ReplyOf<S>;
    try {
      result = withPayloadSession(payload, () => handler(payload, { subject: wireSubject }));
    } catch (error) {
      return fail(error);
    }
    if (isThenable(result)) return Promise.resolve(result).then(encodeReply).then(undefined, fail);
    try {
      return encodeReply(result);
    } catch (error) {
      return fail(error);
    }
  };
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Wraps a subscriber: decode and run; failures are logged and never end the subscription. */
export function createListener(
  pattern: string,
  handler: (data: unknown, context: MessageContext) => Promise<void> | void,
  logger: BusLogger,
): (data: Uint8Array, subject: string) => void {
  const fail = (error: unknown) => logger.error(`bus: subscriber of "${pattern}" failed: ${errorMessage(error)}`);
  return (data, subject) => {
    try {
      const payload = decodeJson(data, subject);
      const result = withPayloadSession(payload, () => handler(payload, { subject }));
      if (result) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  };
}
