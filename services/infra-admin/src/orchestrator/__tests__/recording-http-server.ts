import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Route = (call: RecordedCall) => { status: number; body?: unknown } | undefined;

export interface RecordingServer {
  calls: RecordedCall[];
  /** `http://127.0.0.1:port` when listening on TCP. */
  origin?: string;
  close(): Promise<void>;
}

/**
 * A stand-in for the Docker Engine or the Kubernetes API: answers the few calls the plugs make
 * through `route` and records every call. Listens on a unix socket when `socketPath` is given.
 */
export async function startRecordingServer(route: Route, socketPath?: string): Promise<RecordingServer> {
  const calls: RecordedCall[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const call = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw ? JSON.parse(raw) : undefined };
      calls.push(call);
      const answer = route(call) ?? { status: 404, body: { message: `no route for ${call.method} ${call.url}` } };
      res.writeHead(answer.status, answer.body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => (socketPath ? server.listen(socketPath, resolve) : server.listen(0, '127.0.0.1', resolve)));
  const origin = socketPath ? undefined : `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { calls, origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
