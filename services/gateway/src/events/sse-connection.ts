import type { ServerResponse } from 'node:http';

export interface SseConnectionOptions {
  /** Bytes the socket may hold unsent before the client counts as too slow. */
  maxBufferedBytes: number;
  /** How often a `: keep-alive` comment goes out so proxies keep the connection open. */
  keepAliveMs: number;
  /** How long the stream waits for a full socket to drain before the client counts as too slow. */
  drainTimeoutMs: number;
  /** Headers of the response besides the SSE ones (e.g. rate-limit headers already set). */
  headers?: Record<string, string | number | string[]>;
}

/** How long an overflowed stream may take to flush its last bytes before the socket is dropped. */
const OVERFLOW_LINGER_MS = 30_000;

/**
 * One Server-Sent Events response. Frames written before `open()` wait in memory (events that
 * arrive while the subscription is being set up); after it they go to the socket, and `send`
 * waits while the socket is full, which holds the event subscription (backpressure). A client
 * that stays behind — more than `maxBufferedBytes` unsent, or no drain within
 * `drainTimeoutMs` — gets a final `event: overflow` and the stream ends: it reconnects with
 * Last-Event-ID instead of making the gateway buffer without bound.
 */
export class SseConnection {
  private opened = false;
  private ended = false;
  private early: string[] = [];
  private keepAlive?: NodeJS.Timeout;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly response: ServerResponse,
    private readonly options: SseConnectionOptions,
  ) {
    response.once('close', () => this.finish());
  }

  /** True once the stream ended, from either side. */
  get closed(): boolean {
    return this.ended;
  }

  /** Calls `listener` once when the stream ends (client gone, overflow or shutdown). */
  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  /** Sends the headers and whatever waited, then starts the keep-alive comments. */
  open(): void {
    if (this.ended || this.opened) return;
    this.opened = true;
    this.response.writeHead(200, {
      ...this.options.headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Tells nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    // A comment first, so clients see the stream open before the first event.
    this.write(': connected\n\n');
    for (const frame of this.early.splice(0)) this.write(frame);
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), this.options.keepAliveMs);
    this.keepAlive.unref();
  }

  /**
   * One event: `id` only for stream events (the resume point), none for side-channel ones.
   * Resolves once the socket can take more (at once, unless it is full).
   */
  async send(event: string, data: unknown, id?: number): Promise<void> {
    const frame = `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (!this.opened) {
      if (!this.ended) this.early.push(frame);
      return;
    }
    if (!this.write(frame)) await this.drained();
  }

  /** Ends the stream (shutdown, or the subscription failed). */
  close(): void {
    if (this.ended) return;
    this.response.end();
    this.finish();
  }

  /** Writes a frame; false when the socket is full (or the stream is over). */
  private write(frame: string): boolean {
    if (this.ended) return false;
    if (this.response.writableLength > this.options.maxBufferedBytes) {
      this.overflow();
      return false;
    }
    return this.response.write(frame);
  }

  /** Waits for the socket to drain; the stream overflows instead when it does not in time. */
  private drained(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.response.off('drain', done);
        this.response.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.overflow();
        done();
      }, this.options.drainTimeoutMs);
      this.response.once('drain', done);
      this.response.once('close', done);
    });
  }

  private overflow(): void {
    if (this.ended) return;
    // After whatever is buffered: the client reads every event before this point, then reconnects.
    this.response.end(`event: overflow\ndata: ${JSON.stringify({ reason: 'client too slow: reconnect with Last-Event-ID' })}\n\n`);
    // A client that never reads would hold the socket forever.
    setTimeout(() => this.response.destroy(), OVERFLOW_LINGER_MS).unref();
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.early = [];
    clearInterval(this.keepAlive);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
