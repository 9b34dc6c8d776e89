import { Agent, type Dispatcher, request } from 'undici';

export interface HttpJsonResponse {
  status: number;
  body: unknown;
}

/**
 * A JSON call to a plain HTTP API (Docker Engine, Kubernetes) through one undici dispatcher,
 * which carries the unix socket or the TLS settings. Non-JSON bodies come back as text.
 */
export async function httpJson(
  dispatcher: Dispatcher,
  origin: string,
  method: Dispatcher.HttpMethod,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<HttpJsonResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const response = await request(new URL(path, origin), {
    dispatcher,
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const text = await response.body.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Some endpoints answer plain text (errors, "OK"): keep it as is.
  }
  return { status: response.statusCode, body };
}

export { Agent };
