import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { type HostResolver, PinnedDispatcherPool, SsrfBlockedError, type VettedUrl } from '../ssrf';
import { signatureHeader } from './webhook-signature';
import { WebhookSettings } from './webhook-settings';

export interface WebhookRequest {
  url: string;
  /** `webhook-id`: the delivery id, the same on every try. */
  id: string;
  /** The secrets that sign it, current first: two during a rotation's grace period (see signingSecrets). */
  secrets: readonly string[];
  body: string;
  /** Custom headers of the webhook (never ours: those were refused at registration). */
  headers: Record<string, string>;
}

export interface WebhookResponse {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The SSRF guard refused the URL: no connection was made, and retrying will not help. */
  blocked: boolean;
}

/** Test seams: how names resolve and how the pinned connection is made. */
export interface WebhookSenderSeams {
  resolve?: HostResolver;
  dispatcher?: (target: VettedUrl) => Dispatcher;
}

export const USER_AGENT = 'Plugboard-Webhooks/1';
/** Read (and drop) at most this much of a receiver's answer. */
const RESPONSE_LIMIT_BYTES = 64 * 1024;

/** How long a receiver's vetted address (and its kept-alive connections) is reused before DNS is vetted again. */
const PIN_TTL_MS = 30_000;

/** One signed POST to a webhook, through the SSRF guard, pinned to the vetted address. Never throws. */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private seams: WebhookSenderSeams = {};
  private pool: PinnedDispatcherPool;

  constructor(private readonly settings: WebhookSettings) {
    this.pool = this.createPool();
  }

  /** The resolver in use (the seam, or system DNS when undefined): registration checks with the same one. */
  get resolver(): HostResolver | undefined {
    return this.seams.resolve;
  }

  /** Replaces DNS resolution and/or the connection factory (tests). */
  useSeams(seams: WebhookSenderSeams): void {
    this.seams = seams;
    void this.pool.close();
    this.pool = this.createPool();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  async send(input: WebhookRequest): Promise<WebhookResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // Not AbortSignal.timeout: its timer cannot be cancelled, so every try would leave one to fire (and build an error) seconds later.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.settings.timeoutMs).unref();
    try {
      const { target, dispatcher } = await this.pool.acquire(input.url);
      const timestamp = Math.floor(Date.now() / 1000);
      // The dispatcher directly: the URL was parsed once by the guard, not again per try.
      const response = await dispatcher.request({
        origin: target.url.origin,
        path: `${target.url.pathname}${target.url.search}`,
        method: 'POST',
        body: input.body,
        headers: {
          ...input.headers,
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': input.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(input.secrets, input.id, timestamp, input.body),
        },
        signal: deadline.signal,
      });
      await response.body.dump({ limit: RESPONSE_LIMIT_BYTES }).catch(() => undefined);
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return { statusCode: response.statusCode, durationMs: elapsed(), error: ok ? null : `HTTP ${response.statusCode}`, blocked: false };
    } catch (error) {
      const blocked = error instanceof SsrfBlockedError;
      return { statusCode: null, durationMs: elapsed(), error: describe(error), blocked };
    } finally {
      clearTimeout(timer);
    }
  }

  private createPool(): PinnedDispatcherPool {
    return new PinnedDispatcherPool({
      allowedHosts: this.settings.allowedHosts,
      resolve: this.seams.resolve,
      create: this.seams.dispatcher,
      connectTimeoutMs: this.settings.timeoutMs,
      ttlMs: PIN_TTL_MS,
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
