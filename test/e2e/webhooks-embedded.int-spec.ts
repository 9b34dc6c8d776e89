import { randomUUID } from 'node:crypto';
import { EVENT_ENVELOPE_VERSION, QueueName } from '@plugboard/contracts';
import { waitFor } from '@plugboard/testing';
import { type EmbeddedStack, STACK_KEY, startEmbeddedStack } from './support/embedded-stack';
import { WebhookReceiver } from './support/webhook-receiver';

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

// Gateway and session-worker in this process as `npm start` runs them: memory bus and queue, SQLite.
describe('webhooks: embedded plugs (memory bus + memory queue + SQLite)', () => {
  // Verifies every signature, answers 200 after a short delay.
  const receiver = new WebhookReceiver({ answer: () => new Promise<number>((resolve) => setTimeout(() => resolve(200), ANSWER_DELAY_MS)) });
  let stack: EmbeddedStack;
  let closed = false;

  const closeStack = async () => {
    if (closed) return;
    closed = true;
    await stack.close();
  };

  beforeAll(async () => {
    await receiver.start();
    stack = await startEmbeddedStack({
      REDIS_ENABLED: 'false',
      DATABASE_TYPE: 'sqlite',
      RATE_LIMIT_ENABLED: 'false',
      SSRF_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_CONCURRENCY: String(CONCURRENCY),
      WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
    });
    await stack.database.connector.whenReady();
  }, 60_000);

  afterAll(async () => {
    await closeStack().catch(() => undefined);
    await receiver.stop();
  });

  it(`delivers ${EVENTS} events exactly once per webhook-id through a long backlog, then closes cleanly`, async () => {
    const { bus, queue, database } = stack;
    const sessionId = (await database.sessions.create({ name: 'webhooks-embedded', engine: 'simulator' })).id;
    const response = await fetch(`${stack.base}/api/sessions/${sessionId}/webhooks`, {
      method: 'POST',
      headers: { 'x-api-key': STACK_KEY, 'content-type': 'application/json' },
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
