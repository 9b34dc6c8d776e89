import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { SESSION_ID_CONTEXT_KEY } from '@plugboard/messaging';
import { requestContext } from './request-context';

/**
 * The correlation fields of a log line, from the async flow writing it: the HTTP request
 * (request id, session of the route), the active span (trace and span id), and the session
 * a bus message or job is about. Called by pino for every line written.
 */
export function logCorrelation(): Record<string, string> {
  const fields: Record<string, string> = {};
  const request = requestContext.getStore();
  if (request) {
    fields.requestId = request.requestId;
    if (request.sessionId) fields.sessionId = request.sessionId;
  }
  const active = context.active();
  const sessionId = active.getValue(SESSION_ID_CONTEXT_KEY);
  if (typeof sessionId === 'string') fields.sessionId = sessionId;
  const span = trace.getSpanContext(active);
  if (span && isSpanContextValid(span)) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}
