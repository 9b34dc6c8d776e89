import { createHmac } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';

/** One request the receiver accepted. */
export interface ReceivedWebhook<E> {
  /** The `webhook-id` header: the same on every try of one delivery. */
  webhookId: string;
  /** The `traceparent` header the sender passed on, if any. */
  traceparent?: string;
  /** The `webhook-signature` and `webhook-timestamp` headers and the body as sent, for checks of their own. */
  signed: { signature: string; timestamp: string; body: string };
  event: E;
}

export interface WebhookReceiverOptions {
  /** Check each Standard Webhooks signature against `secret` (a failed check is answered 400). Default true. */
  verifySignatures?: boolean;
  /** Also refuse a `webhook-timestamp` further than this from now, as a receiver guarding against replays does. */
  toleranceSeconds?: number;
  /** The status for a request that passed the checks, once it is recorded; default 200. `tries` counts this one. */
  answer?: (webhookId: string, tries: number) => number | Promise<number>;
}

/** The `v1,…` signature Standard Webhooks makes with `secret`: one of the space-separated entries of `webhook-signature`. */
export function signatureWith(secret: string, webhookId: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64')}`;
}

/** A webhook receiver on 127.0.0.1 that records what it was sent, as a customer's endpoint would see it. */
export class WebhookReceiver<E extends { id: string } = { id: string; type: string; sessionId: string; data: Record<string, unknown> }> {
  /** The signing secret of the registered webhook, returned once at registration. */
  secret = '';
  /** Where to register the webhook; set by `start()`. */
  url = '';
  /** Every accepted request, in arrival order. */
  readonly received: ReceivedWebhook<E>[] = [];
  /** webhook-id → event ids seen with it (exactly one, for a sender that keeps its ids stable). */
  readonly eventsById = new Map<string, Set<string>>();
  /** webhook-id → accepted requests. */
  readonly tries = new Map<string, number>();
  /** webhook-id → 2xx answers given. */
  readonly delivered = new Map<string, number>();
  /** webhook-ids of requests refused for their signature or timestamp. */
  readonly badSignatures: string[] = [];
  private server?: Server;

  constructor(private readonly options: WebhookReceiverOptions = {}) {}

  /** The accepted events, in arrival order. */
  events(): E[] {
    return this.received.map((r) => r.event);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req).then((status) => res.writeHead(status).end()));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  }

  async stop(): Promise<void> {
    // Kept-alive connections of the sender would hold the close.
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const webhookId = String(req.headers['webhook-id']);
    if (!this.verified(req, webhookId, body)) {
      this.badSignatures.push(webhookId);
      return 400;
    }
    const event = JSON.parse(body) as E;
    const traceparent = req.headers.traceparent;
    const signed = { signature: String(req.headers['webhook-signature']), timestamp: String(req.headers['webhook-timestamp']), body };
    this.received.push({ webhookId, traceparent: typeof traceparent === 'string' ? traceparent : undefined, signed, event });
    this.eventsById.set(webhookId, (this.eventsById.get(webhookId) ?? new Set()).add(event.id));
    const tries = (this.tries.get(webhookId) ?? 0) + 1;
    this.tries.set(webhookId, tries);
    const status = (await this.options.answer?.(webhookId, tries)) ?? 200;
    if (status >= 200 && status < 300) this.delivered.set(webhookId, (this.delivered.get(webhookId) ?? 0) + 1);
    return status;
  }

  private verified(req: IncomingMessage, webhookId: string, body: string): boolean {
    if (this.options.verifySignatures === false) return true;
    const timestamp = String(req.headers['webhook-timestamp']);
    if (!String(req.headers['webhook-signature']).split(' ').includes(signatureWith(this.secret, webhookId, timestamp, body))) return false;
    const { toleranceSeconds } = this.options;
    return toleranceSeconds === undefined || Math.abs(Date.now() / 1000 - Number(timestamp)) <= toleranceSeconds;
  }
}
