import {
  ErrorCode,
  EventEnvelope,
  EventEnvelopeSchema,
  ReplyEnvelope,
  ReplyOf,
  RequestOf,
  RequestSubject,
  SubjectMap,
} from '@plugboard/contracts';
import { BusError } from './bus.errors';

/**
 * The wire format shared by every bus plug: JSON bytes, replies wrapped in the
 * `ReplyEnvelope`, payloads validated against `SubjectMap` on arrival. The memory plug goes
 * through the same bytes so both plugs accept and reject exactly the same messages.
 */

// One decoder for the process: it is stateless and costly to create per message.
const decoder = new TextDecoder();

/**
 * JSON-encodes a payload for the wire. `Buffer.from` rather than a TextEncoder: the same
 * UTF-8 bytes, but small payloads (most messages) come out of Node's shared buffer pool, about
 * seven times cheaper than the fresh ArrayBuffer TextEncoder makes for each.
 */
export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value ?? null), 'utf8');
}

/** Decodes wire bytes; throws `VALIDATION_FAILED` on bytes that are not JSON. */
export function decodeJson(data: Uint8Array, subject?: string): unknown {
  try {
    return data.length === 0 ? undefined : JSON.parse(decoder.decode(data));
  } catch {
    throw new BusError(ErrorCode.ValidationFailed, 'payload is not valid JSON', subject);
  }
}

/** Validates an arriving request against its subject's schema; throws `VALIDATION_FAILED` with the issues. */
export function validateRequest<S extends RequestSubject>(subject: S, payload: unknown, wireSubject: string = subject): RequestOf<S> {
  const result = SubjectMap[subject].request.safeParse(payload);
  if (!result.success) {
    throw new BusError(ErrorCode.ValidationFailed, `invalid request on "${wireSubject}"`, wireSubject, result.error.issues);
  }
  return result.data as RequestOf<S>;
}

/** Validates an event envelope before it is stored or handed to a subscriber. */
export function validateEvent(event: unknown, subject?: string): EventEnvelope {
  const result = EventEnvelopeSchema.safeParse(event);
  if (!result.success) {
    throw new BusError(ErrorCode.ValidationFailed, 'invalid event envelope', subject, result.error.issues);
  }
  return result.data;
}

/** Encodes a successful reply. */
export function encodeReply(data: unknown): Uint8Array {
  return encodeJson({ ok: true, data });
}

/** Encodes a failure as a coded error reply; errors without a string `code` become `INTERNAL`. */
export function encodeErrorReply(error: unknown): Uint8Array {
  return encodeJson(toErrorEnvelope(error));
}

/** The error envelope for anything thrown by a handler or by validation. */
export function toErrorEnvelope(error: unknown): ReplyEnvelope {
  const coded = error as { code?: unknown; message?: unknown; details?: unknown } | undefined;
  const code = typeof coded?.code === 'string' ? coded.code : ErrorCode.Internal;
  const message = typeof coded?.message === 'string' ? coded.message : String(error);
  return { ok: false, error: coded?.details === undefined ? { code, message } : { code, message, details: coded.details } };
}

/**
 * Decodes a reply envelope and validates its data against the subject's reply schema.
 * A remote `{ ok: false }` is thrown as a `BusError` carrying the remote code.
 */
export function decodeReply<S extends RequestSubject>(subject: S, data: Uint8Array, wireSubject: string = subject): ReplyOf<S> {
  const envelope = decodeJson(data, wireSubject) as Partial<{ ok: boolean; data: unknown; error: { code?: unknown; message?: unknown; details?: unknown } }> | null;
  // The envelope is checked by hand: it is two fields, and this runs on every reply.
  if (envelope?.ok === true) {
    const result = SubjectMap[subject].reply.safeParse(envelope.data);
    if (!result.success) {
      throw new BusError(ErrorCode.ValidationFailed, `invalid reply on "${wireSubject}"`, wireSubject, result.error.issues);
    }
    return result.data as ReplyOf<S>;
  }
  if (envelope?.ok === false && typeof envelope.error?.code === 'string') {
    const { code, message, details } = envelope.error;
    // Remote codes come from peers built on the same contracts, so they are ErrorCode values.
    throw new BusError(code as ErrorCode, typeof message === 'string' ? message : code, wireSubject, details);
  }
  throw new BusError(ErrorCode.ValidationFailed, `malformed reply envelope on "${wireSubject}"`, wireSubject);
}
