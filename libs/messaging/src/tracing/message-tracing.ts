import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  createContextKey,
  propagation,
  trace,
} from '@opentelemetry/api';

/**
 * Trace context across the bus and the queue. Only the OpenTelemetry API is used here: the
 * process installs the SDK (provider, context manager, W3C propagator) at start; without it
 * every call below is a cheap no-op.
 */

/** The tracer of the messaging sockets. */
const tracer = trace.getTracer('@plugboard/messaging');

/**
 * Session id of the work in progress (a bus message's or a job's `sessionId`), kept in the
 * active context so the logger can name the session in every line written for that work.
 */
export const SESSION_ID_CONTEXT_KEY = createContextKey('plugboard.session_id');

/** W3C trace context as carried beside a message: `traceparent` and, when set, `tracestate`. */
export type TraceCarrier = Record<string, string>;

/** The active trace context as a carrier; undefined when there is nothing to carry (no span). */
export function injectTraceCarrier(active: Context = context.active()): TraceCarrier | undefined {
  if (!trace.getSpanContext(active)) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
  return carrier.traceparent ? carrier : undefined;
}

/**
 * The context a carrier describes, on top of the root context: what a message continues is
 * what it carries, never whatever happened to be active where it was delivered.
 */
export function extractTraceCarrier(carrier: unknown): Context {
  return isCarrier(carrier) ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/**
 * Subjects polled every few seconds by every gateway (scatter-gather health): a span per
 * ping would bury the traces worth reading.
 */
const UNTRACED_SUBJECTS: ReadonlySet<string> = new Set(['health.ping']);

/** False for the subjects above. */
export function isTracedSubject(subject: string): boolean {
  return !UNTRACED_SUBJECTS.has(subject);
}

/** The session id a payload names (`sessionId` field), if any. */
export function sessionIdOf(payload: unknown): string | undefined {
  const value = (payload as { sessionId?: unknown } | null | undefined)?.sessionId;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The given context with the session id set for log lines; unchanged without one. */
export function withSessionId(active: Context, sessionId: string | undefined): Context {
  return sessionId === undefined ? active : active.setValue(SESSION_ID_CONTEXT_KEY, sessionId);
}

export interface MessageSpanOptions {
  kind: SpanKind;
  /** Parent context; the active one when omitted. */
  parent?: Context;
  attributes?: Record<string, string | number | boolean | undefined>;
  sessionId?: string;
}

/**
 * Runs `work` inside a new span (ended when it settles, marked as an error when it throws or
 * rejects). Synchronous results stay synchronous: the bus answers most requests in the same tick.
 */
export function inSpan<T>(name: string, options: MessageSpanOptions, work: (span: Span) => T): T {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind, attributes: definedOnly(options.attributes) }, parent);
  const active = withSessionId(trace.setSpan(parent, span), options.sessionId);
  return context.with(active, () => {
    let result: T;
    try {
      result = work(span);
    } catch (error) {
      endWithError(span, error);
      throw error;
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          endWithError(span, error);
          throw error;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

export { SpanKind };

/** Span options of an event's publish or delivery. */
export function eventSpanOptions(kind: SpanKind, eventId: string, subject: string, sessionId: string, parent?: Context): MessageSpanOptions {
  return { kind, parent, sessionId, attributes: { 'messaging.message.id': eventId, 'messaging.destination.name': subject } };
}

/** Runs `work` with the payload's session id (if any) in the active context, for log lines. */
export function withPayloadSession<T>(payload: unknown, work: () => T): T {
  const sessionId = sessionIdOf(payload);
  return sessionId === undefined ? work() : context.with(withSessionId(context.active(), sessionId), work);
}

function endWithError(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

function isCarrier(value: unknown): value is TraceCarrier {
  return typeof value === 'object' && value !== null && typeof (value as TraceCarrier).traceparent === 'string';
}

function definedOnly(attributes: MessageSpanOptions['attributes']): Record<string, string | number | boolean> | undefined {
  if (!attributes) return undefined;
  // Most callers name no undefined value: theirs is used as it is, without a copy per span.
  if (!hasUndefined(attributes)) return attributes as Record<string, string | number | boolean>;
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

function hasUndefined(attributes: Record<string, unknown>): boolean {
  for (const key in attributes) if (attributes[key] === undefined) return true;
  return false;
}

function isThenable<T>(value: T): value is T & PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
