import { randomUUID } from 'node:crypto';
import { type Context, context, createContextKey } from '@opentelemetry/api';

/** What every log line written while serving one HTTP request can name. */
export interface RequestContext {
  requestId: string;
  /** The session the request is about (`/api/sessions/:id/...`), once the route is known. */
  sessionId?: string;
}

const REQUEST_CONTEXT_KEY = createContextKey('plugboard.request');

/**
 * The request being served by the current async flow, if any. It travels in the active
 * OpenTelemetry context rather than an AsyncLocalStorage of its own: on Node 20 every
 * enabled AsyncLocalStorage adds to the cost of every promise in the process, and the
 * context manager installed by `startTracing` already follows each async flow.
 */
export const requestContext = {
  /** Runs `work` with `store` as the request of its async flow. */
  run<T>(store: RequestContext, work: () => T): T {
    return context.with(withRequest(context.active(), store), work);
  },

  getStore(): RequestContext | undefined {
    return context.active().getValue(REQUEST_CONTEXT_KEY) as RequestContext | undefined;
  },
};

/** `active` with `store` as its request. */
export function withRequest(active: Context, store: RequestContext): Context {
  return active.setValue(REQUEST_CONTEXT_KEY, store);
}

/** A caller's `X-Request-Id` is kept only when it is a plain token: it ends up in logs and headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming `X-Request-Id` when sane, else a new one. */
export function requestIdFrom(header: unknown): string {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}
