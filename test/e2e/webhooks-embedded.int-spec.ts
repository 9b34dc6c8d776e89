import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@plugboard/config';
import { EVENT_ENVELOPE_VERSION } from '@plugboard/contracts';
import { Database } from '@plugboard/database';
import { GatewayModule } from '@plugboard/gateway';
import { type BusPort, type QueuePort, createBus, createQueue } from '@plugboard/messaging';
import { type ServiceHandle, bootstrapService, createServiceLogger } from '@plugboard/service-kit';
import { SessionWorkerModule } from '@plugboard/session-worker';
import { freePort, waitFor } from '@plugboard/testing';

const EVENTS = Number(process.env.WH_EVENTS ?? 400);
const KEY = 'pb_test-webhooks-embedded-master-key';

class Receiver {
  readonly delivered = new Map<string, number>();
  readonly eventsById = new Map<string, Set<string>>();
  readonly badSignatures: string[] = [];
  secret = '';
  url = '';
  private server?: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req).then((status) => res.writeHead(status).end()));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hook`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const id = String(req.headers['webhook-id']);
    const timestamp = String(req.headers['webhook-timestamp']);
    const key = Buffer.from(this.secret.slice('whsec_'.length), 'base64');
    const expected = `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
    if (!String(req.headers['webhook-signature']).split(' ').includes(expected)) {
      this.badSignatures.push(id);
      return 400;
    }
    const event = JSON.parse(body) as { id: string };
    this.eventsById.set(id, (this.eventsById.get(id) ?? new Set()).add(event.id));
    this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
    return 200;
  }
}

describe('webhooks embedded', () => {
  const receiver = new Receiver();
  let cwd: string;
  let bus: BusPort;
  let queue: QueuePort;
  let database: Database;
  let base: string;
  const handles: ServiceHandle[] = [];

  beforeAll(async () => {
    await receiver.start();
    cwd = mkdtempSync(join(tmpdir(), 'pb-webhooks-embedded-'));
    const config = loadConfig({
      env: {
        BUS_TYPE: 'memory', QUEUE_TYPE: 'memory', REDIS_ENABLED: 'false', DATABASE_TYPE: 'sqlite',
        DATA_DIR: join(cwd, 'data'), HOST: '127.0.0.1', PORT: String(await freePort()), API_MASTER_KEY: KEY,
        ENGINE_TYPE: 'simulator', SESSION_START_STAGGER_MS: '0', RATE_LIMIT_ENABLED: 'false',
        SSRF_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_CONCURRENCY: '16', LOG_LEVEL: process.env.WH_LOG ?? 'warn',
      },
      cwd,
    });
    const logger = createServiceLogger('webhooks-embedded', (process.env.WH_LOG ?? 'warn') as 'warn');
    bus = createBus(config, 'webhooks-embedded', logger);
    queue = createQueue(config, logger);
    database = await Database.create(config, { migrate: true, logger });
    await database.start();
    handles.push(await bootstrapService({ service: 'gateway', module: GatewayModule, config, bus, queue, database, listen: true, logger }));
    handles.push(await bootstrapService({ service: 'session-worker', module: SessionWorkerModule, config, bus, queue, database, listen: false, logger }));
    base = handles[0].url as string;
  }, 60_000);

  afterAll(async () => {
    await receiver.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('delivers', async () => {
    await database.connector.whenReady();
    const stats: Record<string, { n: number; ms: number }> = {};
    const repo = database.webhookDeliveries as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    for (const m of ['get', 'recordAttempt', 'createPending', 'listOverdue']) {
      const orig = repo[m].bind(repo);
      repo[m] = async (...a: unknown[]) => { const t = performance.now(); try { return await orig(...a); } finally { const s = (stats[m] ??= { n: 0, ms: 0 }); s.n++; s.ms += performance.now() - t; } };
    }
    setInterval(() => console.log(JSON.stringify(stats)), 3000).unref();
    const sessionId = (await database.sessions.create({ name: 'wh-embedded', engine: 'simulator' })).id;
    const r = await fetch(`${base}/api/sessions/${sessionId}/webhooks`, {
      method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['message.received'] }),
    });
    const created = (await r.json()) as { id: string; secret: string };
    expect(r.status).toBe(201);
    receiver.secret = created.secret;
    const t0 = Date.now();
    for (let i = 0; i < EVENTS; i++) {
      await bus.publishEvent({ id: randomUUID(), type: 'message.received', version: EVENT_ENVELOPE_VERSION, sessionId, occurredAt: new Date().toISOString(), data: { n: i } });
    }
    const timer = setInterval(() => console.log(`t=${Date.now() - t0} delivered=${receiver.delivered.size}`), 2000);
    try {
      await waitFor('all', () => receiver.delivered.size >= EVENTS, { timeoutMs: Number(process.env.WH_WAIT ?? 60_000) });
    } catch (e) { console.log(String(e)); } finally {
      clearInterval(timer);
      console.log(`t=${Date.now() - t0} delivered=${receiver.delivered.size} counts=${JSON.stringify(await queue.counts('webhooks-deliver' as never))}`);
    }
    const s0 = Date.now();
    const mon = setInterval(async () => console.log('closing', Date.now() - s0, JSON.stringify(await queue.counts('webhooks-deliver' as never)), JSON.stringify(stats)), 2000);
    for (const h of handles) { await h.close(); console.log('closed', h.service, Date.now() - s0); }
    console.log('handles closed', Date.now() - s0);
    await queue.close();
    console.log('queue closed', Date.now() - s0);
    await database.close();
    await bus.close();
    console.log('all closed', Date.now() - s0);
    clearInterval(mon);
  }, 120_000);
});
