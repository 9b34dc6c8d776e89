import { JSONCodec, type NatsConnection, connect } from 'nats';

export interface HttpReply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  bytes: Buffer;
}

export interface CallOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, with a JSON content type (for malformed bodies). */
  raw?: string;
  accept?: string;
  /** Added to (or overriding) the key and content type. */
  headers?: Record<string, string>;
  /** 15 s unless given. */
  timeoutMs?: number;
}

/** One HTTP call with an API key; JSON in, JSON (or bytes) out, never throwing on a status. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked with expect(), shape by shape
export async function call<T = any>(base: string, key: string, method: string, path: string, options: CallOptions = {}): Promise<HttpReply<T>> {
  const headers: Record<string, string> = { 'x-api-key': key };
  if (options.accept) headers.accept = options.accept;
  let body: string | undefined;
  if (options.raw !== undefined || options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.raw ?? JSON.stringify(options.body);
  }
  Object.assign(headers, options.headers);
  const response = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 15_000) });
  const bytes = Buffer.from(await response.arrayBuffer());
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  return { status: response.status, headers: response.headers, body: (isJson && bytes.length ? JSON.parse(bytes.toString()) : undefined) as T, bytes };
}

export interface RecordedStatus {
  sessionId: string;
  status: string;
  previous: string;
}

/** Records every `session.status` event of a run straight from NATS (the run's subject prefix). */
export async function recordStatusEvents(natsUrl: string, prefix: string): Promise<{ events: RecordedStatus[]; close: () => Promise<void> }> {
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const json = JSONCodec<{ sessionId: string; data: { status: string; previous: string } }>();
  const events: RecordedStatus[] = [];
  nc.subscribe(`${prefix}.wa.events.*.session.status`, {
    callback: (error, msg) => {
      if (error) return;
      const event = json.decode(msg.data);
      events.push({ sessionId: event.sessionId, status: event.data.status, previous: event.data.previous });
    },
  });
  await nc.flush();
  return { events, close: () => nc.close() };
}
