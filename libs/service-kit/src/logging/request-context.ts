import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What every log line written while serving one HTTP request can name. */
export interface RequestContext {
  requestId: string;
  /** The session the request is about (`/api/sessions/:id/...`), once the route is known. */
  sessionId?: string;
}

/** The request being served by the current async flow, if any. */
export const requestContext = new AsyncLocalStorage<RequestContext>();

/** A caller's `X-Request-Id` is kept only when it is a plain token: it ends up in logs and headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming `X-Request-Id` when sane, else a new one. */
export function requestIdFrom(header: unknown): string {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}
