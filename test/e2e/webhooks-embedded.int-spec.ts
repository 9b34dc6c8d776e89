import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@plugboard/config';
import { EVENT_ENVELOPE_VERSION, QueueName } from '@plugboard/contracts';
import { Database } from '@plugboard/database';
import { GatewayModule } from '@plugboard/gateway';
import { type BusPort, type QueuePort, createBus, createQueue } from '@plugboard/messaging';
import { type ServiceHandle, bootstrapService, createServiceLogger } from '@plugboard/service-kit';
import { SessionWorkerModule } from '@plugboard/session-worker';
import { freePort, waitFor } from '@plugboard/testing';

const EVENTS = 400;
const CONCURRENCY = 16;
/**
 * The receiver holds each answer this long, so the backlog lasts well past the point where
 * tries count as overdue (request timeout + 5 s): a rescue that took a queued-but-late or
 * running try for a stuck one would add jobs and POST deliveries twice.
 */
const ANSWER_DELAY_MS = 500;
const WEBHOOK_TIMEOUT_MS = 1_000;
const CLOSE_BUDGET_MS = 15_000;
const KEY = 'pb_test-webhooks-embedded-master-key';

/** Receiver on 127.0.0.1: verifies every signature, answers 200 after a short delay. */
class Receiver {
  /** webhook-id → 2xx answers given. */
  readonly delivered = new Map<string, number>();
  /** webhook-id → event ids seen with it (must be exactly one). */
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
    await new Promise((resolve) => setTimeout(resolve, ANSWER_DELAY_MS));
    this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
    return 200;
  }
}

// Gateway and session-worker in this process as `npm start` runs them: memory bus and queue, SQLite.
describe('webhooks: embedded plugs (memory bus + memory queue + SQLite)', () => {
  const receiver = new Receiver();
  const handles: ServiceHandle[] = [];
  let cwd: string;
  let bus: BusPort;
  let queue: QueuePort;
  let database: Database;
  let base: string;
  let closed = false;

  const closeStack = async () => {
    if (closed) return;
    closed = true;
    for (const handle of handles) await handle.close();
    await queue.close();
    await database.close();
    await bus.close();
  };

  beforeAll(async () => {
    await receiver.start();
    cwd = mkdtempSync(join(tmpdir(), 'pb-webhooks-embedded-'));
    const config = loadConfig({
      env: {
        BUS_TYPE: 'memory',
        QUEUE_TYPE: 'memory',
        REDIS_ENABLED: 'false',
        DATABASE_TYPE: 'sqlite',
        DATA_DIR: join(cwd, 'data'),
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        API_MASTER_KEY: KEY,
        ENGINE_TYPE: 'simulator',
        SESSION_START_STAGGER_MS: '0',
        RATE_LIMIT_ENABLED: 'false',
        SSRF_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_CONCURRENCY: String(CONCURRENCY),
        WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
        LOG_LEVEL: 'error',
      },
      cwd,
    });
    const logger = createServiceLogger('webhooks-embedded', 'error');
    bus = createBus(config, 'webhooks-embedded', logger);
    queue = createQueue(config, logger);
    database = await Database.create(config, { migrate: true, logger });
    await database.start();
    handles.push(await bootstrapService({ service: 'gateway', module: GatewayModule, config, bus, queue, database, listen: true, logger }));
    handles.push(await bootstrapService({ service: 'session-worker', module: SessionWorkerModule, config, bus, queue, database, listen: false, logger }));
    base = handles[0].url as string;
    await database.connector.whenReady();
  }, 60_000);

  afterAll(async () => {
    await closeStack().catch(() => undefined);
    await receiver.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it(`delivers ${EVENTS} events exactly once per webhook-id through a long backlog, then closes cleanly`, async () => {
    const sessionId = (await database.sessions.create({ name: 'webhooks-embedded', engine: 'simulator' })).id;
    const response = await fetch(`${base}/api/sessions/${sessionId}/webhooks`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['message.received'] }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: string; secret: string };
    receiver.secret = created.secret;

    const eventIds: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const id = randomUUID();
      eventIds.push(id);
      await bus.publishEvent({ id, type: 'message.received', version: EVENT_ENVELOPE_VERSION, sessionId, occurredAt: new Date().toISOString(), data: { n: i } });
    }
    await waitFor(`${EVENTS} deliveries`, () => receiver.delivered.size >= EVENTS, { timeoutMs: 120_000, intervalMs: 100 }).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)} (${receiver.delivered.size} delivered)`);
    });
    // Every row recorded as delivered with its one try.
    await waitFor('every row delivered', async () => (await database.webhookDeliveries.list(created.id, { status: 'pending', limit: 1 })).items.length === 0);

    expect(receiver.badSignatures).toEqual([]);
    expect([...receiver.delivered.values()].filter((n) => n > 1)).toEqual([]);
    const delivered = new Set<string>();
    for (const [id, events] of receiver.eventsById) {
      expect(events.size, id).toBe(1);
      delivered.add([...events][0]);
    }
    expect([...delivered].sort()).toEqual([...eventIds].sort());
    // One job per delivery: no rescue job was added for a try that was only late.
    expect(await queue.counts(QueueName.WebhooksDeliver)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: EVENTS, failed: 0 });
    const rows = (await database.webhookDeliveries.list(created.id, { limit: EVENTS + 1 })).items;
    expect(rows).toHaveLength(EVENTS);
    expect(rows.every((row) => row.status === 'delivered' && row.attempts.length === 1)).toBe(true);

    // A clean shutdown: bounded, nothing left holding it.
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the stack did not close within ${CLOSE_BUDGET_MS} ms`)), CLOSE_BUDGET_MS);
    });
    await Promise.race([closeStack(), budget]).finally(() => clearTimeout(timer));
  }, 180_000);
});
