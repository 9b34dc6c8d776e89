import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, DatabaseError, type NewWebhookDelivery, type WebhookAttempt } from '@plugboard/database';
import { type TestDatabase, backendReachable, createTestDatabase, sqliteTestConfig, testBackends, uniqueName } from '@plugboard/testing';
import { WebhookDeliveryStatements } from './webhook-delivery-statements';

interface Plug {
  database: Database;
  cleanup(): Promise<void>;
}

const plugs: Record<'sqlite' | 'postgres', () => Promise<Plug | undefined>> = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-webhook-statements-'));
    const database = await Database.create(sqliteTestConfig(join(dir, 'test.sqlite')), { migrate: true });
    await database.start();
    return { database, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  // Skips when PostgreSQL is down; under CI=true backendReachable throws instead, failing the file.
  postgres: async () => {
    if (!(await backendReachable('PostgreSQL', testBackends.databaseUrl))) return undefined;
    const test: TestDatabase = await createTestDatabase();
    const database = await Database.create(test.config, { migrate: true });
    await database.start();
    return { database, cleanup: () => test.drop() };
  },
};

describe.each(['sqlite', 'postgres'] as const)('webhook delivery statements on %s', (plug) => {
  let current: Plug | undefined;
  let statements: WebhookDeliveryStatements;
  let webhookId: string;
  let sessionId: string;

  beforeAll(async () => {
    current = await plugs[plug]();
    if (!current) return;
    const { database } = current;
    await database.connector.whenReady();
    statements = new WebhookDeliveryStatements(database);
    sessionId = (await database.sessions.create({ name: uniqueName('s'), engine: 'simulator', desiredState: 'stopped', config: {} })).id;
    webhookId = (
      await database.webhooks.create({ sessionId, url: 'http://127.0.0.1/hook', events: ['*'], secret: 'whsec_x', headers: {}, active: true, retryAttempts: 3, retryBackoffMs: 10 })
    ).id;
  });

  afterAll(async () => {
    await current?.database.close();
    await current?.cleanup();
  });

  beforeEach(({ skip }) => skip(!current, `PostgreSQL at ${testBackends.databaseUrl} is unreachable`));

  const delivery = (n: number, payload: Record<string, unknown> = { n, text: 'hé "quoted"' }): NewWebhookDelivery => ({
    id: uniqueName(`d${n}`),
    webhookId,
    sessionId,
    eventId: uniqueName(`e${n}`),
    eventType: 'message.received',
    payload,
  });
  const attempt = (n: number, round = 0): WebhookAttempt => ({ round, attempt: n, at: new Date().toISOString(), statusCode: 500, durationMs: 3, error: 'HTTP 500' });

  it('inserts new rows once and reports earlier rows as stored', async () => {
    const rows = [delivery(1), delivery(2)];
    const first = await statements.insertPending(rows);
    expect(first.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(first.every((r) => r.status === 'pending' && r.round === 0 && r.attempts.length === 0)).toBe(true);

    const [read] = await statements.readForTries([rows[0].id]);
    await statements.recordAttempts([{ id: read.id, attempt: attempt(1), outcome: { status: 'dead' }, read }]);
    const again = await statements.insertPending([...rows, delivery(3)]);
    expect(again).toHaveLength(3);
    expect(again.find((r) => r.id === rows[0].id)).toMatchObject({ status: 'dead', attempts: [expect.objectContaining({ attempt: 1 })], nextAttemptAt: null });
    expect(again.find((r) => r.id === rows[1].id)).toMatchObject({ status: 'pending' });
  });

  it('reads rows for tries with the payload as the JSON text that is POSTed, readable by the ORM', async () => {
    const row = delivery(4, { id: 'e4', nested: { list: [1, 'two', null] }, text: 'ünïcødé \u2028' });
    await statements.insertPending([row]);
    const [read] = await statements.readForTries([row.id, row.id, 'missing']);
    expect(read).toMatchObject({ id: row.id, webhookId, eventId: row.eventId, status: 'pending', round: 0, attempts: [] });
    expect(JSON.parse(read.body)).toEqual(row.payload);
    expect(await current!.database.webhookDeliveries.get(row.id)).toMatchObject({ payload: row.payload, status: 'pending', attempts: [] });
  });

  it('records a batch of tries in one statement, each outcome on its row', async () => {
    const rows = [delivery(5), delivery(6), delivery(7)];
    await statements.insertPending(rows);
    const read = await statements.readForTries(rows.map((r) => r.id));
    const byId = new Map(read.map((r) => [r.id, r]));
    const next = new Date(Date.now() + 60_000);
    const applied = await statements.recordAttempts([
      { id: rows[0].id, attempt: attempt(1), outcome: { status: 'delivered' }, read: byId.get(rows[0].id) },
      { id: rows[1].id, attempt: attempt(1), outcome: { status: 'pending', nextAttemptAt: next }, read: byId.get(rows[1].id) },
      { id: rows[2].id, attempt: attempt(1), outcome: { status: 'dead' }, read: byId.get(rows[2].id) },
    ]);
    expect(applied).toEqual([true, true, true]);
    const orm = current!.database.webhookDeliveries;
    const delivered = await orm.get(rows[0].id);
    expect(delivered).toMatchObject({ status: 'delivered', nextAttemptAt: null, attempts: [expect.objectContaining({ attempt: 1, statusCode: 500 })] });
    expect(delivered?.deliveredAt).toBeInstanceOf(Date);
    expect(await orm.get(rows[1].id)).toMatchObject({ status: 'pending', nextAttemptAt: next, deliveredAt: null });
    expect(await orm.get(rows[2].id)).toMatchObject({ status: 'dead', nextAttemptAt: null, deliveredAt: null });
  });

  it('records nothing for a stale try: row changed since read, other round, or finished', async () => {
    const rows = [delivery(8), delivery(9)];
    await statements.insertPending(rows);
    const [a, b] = await statements.readForTries(rows.map((r) => r.id)).then((read) => rows.map((r) => read.find((x) => x.id === r.id)!));
    const pending = { status: 'pending' as const, nextAttemptAt: new Date() };
    expect(await statements.recordAttempts([{ id: a.id, attempt: attempt(1), outcome: pending, read: a }])).toEqual([true]);
    // `a` as read before the first record is stale now; `b` is tried in a round it is not in.
    expect(await statements.recordAttempts([
      { id: a.id, attempt: attempt(1), outcome: { status: 'delivered' }, read: a },
      { id: b.id, attempt: attempt(1, 1), outcome: { status: 'delivered' }, read: b },
    ])).toEqual([false, false]);
    const [fresh] = await statements.readForTries([a.id]);
    expect(fresh.attempts).toHaveLength(1);
    // The same row twice in one batch: the first try applies, the second (read before it) is stale.
    expect(await statements.recordAttempts([
      { id: a.id, attempt: attempt(2), outcome: { status: 'dead' }, read: fresh },
      { id: a.id, attempt: attempt(2), outcome: { status: 'delivered' }, read: fresh },
    ])).toEqual([true, false]);
    expect(await current!.database.webhookDeliveries.get(a.id)).toMatchObject({ status: 'dead', attempts: [expect.objectContaining({ attempt: 1 }), expect.objectContaining({ attempt: 2 })] });
  });

  it('fails a batch naming a webhook that does not exist, as the repository does', async () => {
    await expect(statements.insertPending([{ ...delivery(10), webhookId: '00000000-0000-4000-8000-000000000000' }])).rejects.toBeInstanceOf(DatabaseError);
  });

  it('inserts a fan-out larger than one statement takes', async () => {
    const rows = Array.from({ length: 1_100 }, (_, i) => delivery(100 + i));
    const stored = await statements.insertPending(rows);
    expect(new Set(stored.map((r) => r.id)).size).toBe(rows.length);
    expect(await statements.readForTries(rows.slice(0, 600).map((r) => r.id))).toHaveLength(600);
  });
});
