import { subscribe } from 'node:diagnostics_channel';
import { injectTraceCarrier } from '@plugboard/messaging';

interface UndiciRequest {
  headers: string | string[];
  addHeader(name: string, value: string): unknown;
}

let installed = false;

/**
 * Adds `traceparent` (and `tracestate`) to every outgoing HTTP request made through undici
 * (its `request`, and Node's `fetch`, which is undici too) inside a trace: webhook receivers
 * and the internal byte streams see which trace a call belongs to, with no change to the
 * code making the call. A request that already carries a `traceparent` keeps it.
 */
export function installOutgoingHttpTracing(): void {
  if (installed) return;
  installed = true;
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: UndiciRequest };
    const carrier = injectTraceCarrier();
    if (!carrier || hasTraceparent(request.headers)) return;
    for (const [name, value] of Object.entries(carrier)) request.addHeader(name, value);
  });
}

/** Undici keeps headers as a raw string (`name: value\r\n...`) in some versions and a flat array in others. */
function hasTraceparent(headers: string | string[]): boolean {
  if (typeof headers === 'string') return /(^|\r\n)traceparent:/i.test(headers);
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() === 'traceparent') return true;
  return false;
}
