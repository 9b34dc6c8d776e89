import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_ENVELOPE_VERSION, eventSubject } from '@plugboard/contracts';
import { Database } from '@plugboard/database';
import { freePort, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { JSONCodec, type NatsConnection, connect } from 'nats';
import { buildWhenReachable } from './support/build';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { type ServiceProcess, killAll, startService } from './support/service-process';
import { waitForServices } from './support/services-up';
import { call } from './support/sessions-http';
import { WebhookReceiver } from './support/webhook-receiver';

const EVENTS = 500;
const FAILURES_PER_DELIVERY = 2;
// Generous bounds for waiting: the machine may have 2 cores shared with other suites running in parallel.
const FIRST_DELIVERIES_TIMEOUT_MS = 90_000;
const ALL_DELIVERIES_TIMEOUT_MS = 180_000;
const UNREACHABLE = 'NATS, Redis or PostgreSQL unreachable';

// The gateway alone as its own process on NATS + BullMQ + PostgreSQL, killed and restarted mid-stream.
describe('webhooks: nothing lost across a gateway crash (NATS + BullMQ + PostgreSQL)', () => {
  let reachable = false;
  const tag = uniqueName('pbwh').replace(/-/g, '_');
  const adminKey = `pb_${tag}_admin-key-for-this-run`;
  const all: ServiceProcess[] = [];
  // Verifies every signature and timestamp, fails the first two tries of each delivery.
  const receiver = new WebhookReceiver({ toleranceSeconds: 300, answer: (_id, tries) => (tries <= FAILURES_PER_DELIVERY ? 500 : 200) });
  let backends: IsolatedBackends | undefined;
  let db: Database | undefined;
  let nc: NatsConnection | undefined;
  let env: Record<string, string>;
  let cwd: string;
  let base: string;
  let sessionId: string;

  const startGateway = () => {
    const child = startService('gateway', env, cwd);
    all.push(child);
    return child;
  };
  const api = <T>(method: string, path: string, body?: unknown) => call<T>(base, adminKey, method, path, { body, timeoutMs: 10_000 });
  const waitReady = (gateway: ServiceProcess) =>
    waitForServices('the gateway to answer', [gateway], async () => (await api('GET', `/api/sessions/${sessionId}/webhooks`)).status === 200, { timeoutMs: 60_000 });

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'Redis', 'PostgreSQL');
    if (!reachable) return;
    backends = await isolateBackends({ tag, queue: 'bullmq', database: 'pb_webhooks_test' });
    // Migrations are infra-admin's job; here the test applies them, then writes the session row itself.
    db = await Database.create(backends.database!.config, { migrate: true });
    await db.start();
    await db.connector.whenReady();
    sessionId = (await db.sessions.create({ name: `wh-${tag}`, engine: 'simulator' })).id;

    await receiver.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cwd = mkdtempSync(join(tmpdir(), 'pb-webhooks-'));
    env = {
      ...backends.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: join(cwd, 'data'),
      API_MASTER_KEY: adminKey,
      EXPECTED_SERVICES: 'gateway',
      SSRF_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_TIMEOUT_MS: '5000',
      WEBHOOK_CONCURRENCY: '32',
      SHUTDOWN_TIMEOUT_MS: '5000',
    };
    nc = await connect({ servers: testBackends.natsUrl });
  }, 180_000);

  afterAll(async () => {
    await killAll(all);
    await receiver.stop();
    await db?.close();
    await nc?.close();
    await backends?.cleanup();
  });

  it(`delivers ${EVENTS} events exactly once per webhook-id, every signature valid, across a SIGKILL`, async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    let gateway = startGateway();
    await waitReady(gateway);

    // Registration: the secret is returned once; private targets are refused unless allowed.
    const refused = await api<{ error: { code: string } }>('POST', `/api/sessions/${sessionId}/webhooks`, { url: 'http://169.254.169.254/', events: ['*'] });
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'SSRF_BLOCKED' } } });
    const created = await api<{ id: string; secret: string; headers: string[] }>('POST', `/api/sessions/${sessionId}/webhooks`, {
      url: receiver.url,
      events: ['message.received'],
      headers: { 'x-tenant': 'secret-value' },
      retry: { attempts: 8, backoffMs: 50 },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.body.headers).toEqual(['x-tenant']);
    receiver.secret = created.body.secret;
    const shown = await api<Record<string, unknown>>('GET', `/api/webhooks/${created.body.id}`);
    expect(shown.body).not.toHaveProperty('secret');
    expect(JSON.stringify(shown.body)).not.toContain('secret-value');

    const js = nc!.jetstream();
    const json = JSONCodec();
    const eventIds: string[] = [];
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = `evt_${tag}_${i}`;
        eventIds.push(id);
        const envelope = { id, type: 'message.received', version: EVENT_ENVELOPE_VERSION, sessionId, occurredAt: new Date().toISOString(), data: { n: i } };
        await js.publish(`${tag}.${eventSubject(sessionId, 'message.received')}`, json.encode(envelope), { msgID: id });
      }
    };

    const started = Date.now();
    await publish(0, EVENTS / 2);
    await waitFor('some deliveries before the crash', () => receiver.delivered.size >= 50, { timeoutMs: FIRST_DELIVERIES_TIMEOUT_MS });
    gateway.kill('SIGKILL');
    await gateway.exited;
    const atKill = receiver.delivered.size;
    await publish(EVENTS / 2, EVENTS);
    gateway = startGateway();
    await waitReady(gateway);
    await waitFor(`${EVENTS} deliveries`, () => receiver.delivered.size >= EVENTS, {
      timeoutMs: ALL_DELIVERIES_TIMEOUT_MS,
      intervalMs: 100,
    }).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)} (${receiver.delivered.size} delivered)\n${gateway.output().slice(-4_000)}`);
    });
    const seconds = (Date.now() - started) / 1000;
    const tries = [...receiver.tries.values()].reduce((sum, n) => sum + n, 0);

    expect(receiver.badSignatures).toEqual([]);
    expect(receiver.delivered.size).toBe(EVENTS);
    // One webhook-id per event, one event per webhook-id: receivers de-duplicating on it see each event once.
    const delivered = new Set<string>();
    for (const [id, events] of receiver.eventsById) {
      expect(events.size, id).toBe(1);
      delivered.add([...events][0]);
    }
    expect([...delivered].sort()).toEqual([...eventIds].sort());
    const repeats = [...receiver.delivered.values()].filter((n) => n > 1).length;
    console.log(
      `webhooks: ${EVENTS} events (${tries} tries received) in ${seconds.toFixed(1)} s, including the gateway restart: ` +
        `${(EVENTS / seconds).toFixed(1)} deliveries/s, ${(tries / seconds).toFixed(1)} tries/s; gateway SIGKILLed after ${atKill} deliveries; ` +
        `${repeats} webhook-ids answered 2xx more than once (in flight at the kill)`,
    );

    // The rows agree: every delivery delivered, with its two failed tries recorded.
    await waitFor('every row delivered', async () => {
      const dead = await api<{ items: unknown[] }>('GET', `/api/webhooks/${created.body.id}/deliveries?status=pending&limit=1`);
      return dead.body.items.length === 0;
    }, { timeoutMs: 60_000 });
    const rows: { id: string; status: string; attempts: { statusCode: number | null }[] }[] = [];
    let cursor: string | undefined;
    do {
      const page = await api<{ items: typeof rows; nextCursor?: string }>(
        'GET',
        `/api/webhooks/${created.body.id}/deliveries?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      rows.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(rows).toHaveLength(EVENTS);
    expect(new Set(rows.map((r) => r.id)).size).toBe(EVENTS);
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);
    // A try in flight at the kill may have reached the receiver without being recorded: at most one per worker slot.
    const underRecorded = rows.filter((r) => r.attempts.filter((a) => a.statusCode === 500).length < FAILURES_PER_DELIVERY);
    expect(underRecorded.length).toBeLessThanOrEqual(Number(env.WEBHOOK_CONCURRENCY));

    // Redeliver one: a new round with a new try, same webhook-id.
    const one = rows[0].id;
    const again = await api<{ status: string; round: number }>('POST', `/api/webhooks/${created.body.id}/deliveries/${one}/redeliver`);
    expect(again).toMatchObject({ status: 202, body: { status: 'pending', round: 1 } });
    await waitFor('the redelivery', () => (receiver.delivered.get(one) ?? 0) >= 2, { timeoutMs: 30_000 });

    const test = await api<{ statusCode: number }>('POST', `/api/webhooks/${created.body.id}/test`);
    expect(test.status).toBe(200);
  }, 480_000);
});
