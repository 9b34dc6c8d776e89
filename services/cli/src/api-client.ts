import type { Readable } from 'node:stream';
import { ApiError, TransferError } from './cli-errors';

export interface RequestOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** Streamed as the request body (never read into memory first). */
  stream?: Readable;
  /** Content type of `stream`. */
  contentType?: string;
  /** Length of `stream`, when known: the server can then tell a cut-off upload from a complete one. */
  contentLength?: number;
  headers?: Record<string, string>;
}

/** Fetch of a running gateway with the API key; any status other than 2xx becomes an ApiError. */
export class ApiClient {
  readonly base: string;

  constructor(
    base: string,
    private readonly key: string,
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  /** The response, its body not read yet (the caller may stream it). */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { 'x-api-key': this.key, ...options.headers };
    let body: RequestInit['body'];
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.stream) {
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
      if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
      body = options.stream as unknown as RequestInit['body'];
    }
    let response: Response;
    try {
      // duplex 'half': a streamed request body, sent while the response may already be arriving.
      response = await fetch(`${this.base}${path}`, { method, headers, body, ...(options.stream ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (error) {
      throw new TransferError(`${method} ${this.base}${path} failed: ${causeText(error)}`, { cause: error });
    }
    if (!response.ok) throw await apiErrorOf(response);
    return response;
  }

  /** A JSON request and its JSON reply. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new TransferError(`${method} ${path}: the server answered ${response.status} with a body that is not JSON`);
    }
  }
}

/** The server's `{ error: { code, message, details? } }`, or a stand-in when the body is something else (a proxy's page). */
async function apiErrorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (body.error && typeof body.error.code === 'string') {
      return new ApiError(response.status, body.error.code, String(body.error.message ?? ''), body.error.details);
    }
  } catch {
    // not JSON: fall through
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new ApiError(response.status, `HTTP_${response.status}`, snippet || response.statusText || 'request failed');
}

/** fetch hides the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function causeText(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error instanceof Error ? (cause?.message ?? error.message) : String(error);
}
