import { randomUUID } from 'node:crypto';
import { type EventEnvelope, type EventType, INFRA_JOBS_PROGRESS_SUBJECT } from '@plugboard/contracts';
import { EventStreams } from '@plugboard/gateway';
import { backendReachable, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { connect } from 'nats';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { GATEWAY_KEY, type GatewayStack, startGatewayStack } from './support/gateway-stack';
import { type SseClient, openSse } from './support/sse-client';

/** Events the in-process log keeps (MemoryBusAdapter's default). */
const MEMORY_LOG_SIZE = 100_000;

function envelope(sessionId: string, type: EventType, data: Record<string, unknown> = {}): EventEnvelope {
  return { id: randomUUID(), type, version: 1, sessionId, occurredAt: new Date().toISOString(), data };
}

describe.each([
  { name: 'in-process bus', nats: false },
  { name: 'NATS JetStream', nats: true },
])('GET /api/events over the $name', ({ nats }) => {
  let stack: GatewayStack;
  let isolated: IsolatedBackends | undefined;
  let skip = false;
  const clients: SseClient[] = [];

  const open = async (query = '', headers: Record<string, string> = {}, key = GATEWAY_KEY): Promise<SseClient> => {
    const client = await openSse(`${stack.base}/api/events${query}`, { 'x-api-key': key, ...headers });
    clients.push(client);
    if (client.status === 200) await waitFor('the stream to open', () => client.frames.some((f) => f.comment === 'connected'));
    return client;
  };
  const publish = (sessionId: string, type: EventType, data: Record<string, unknown> = {}) => stack.bus.publishEvent(envelope(sessionId, type, data));
  const streams = () => stack.gateway.app.get(EventStreams);

  beforeAll(async () => {
    if (nats) {
      if (!(await backendReachable('NATS', testBackends.natsUrl))) {
        skip = true;
        return;
      }
      isolated = await isolateBackends({ tag: uniqueName('sse').replace(/-/g, '_'), queue: 'memory' });
    }
    stack = await startGatewayStack(isolated?.env ?? {});
    await stack.bus.connect();
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await stack?.close();
    await isolated?.cleanup();
  });

  it('streams events as id/event/data frames, filtered by session and type', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const all = await open();
    const filtered = await open('?sessionId=alpha&types=message.sent,message.ack');
    const seqs = [
      await publish('alpha', 'message.sent', { n: 1 }),
      await publish('beta', 'message.sent', { n: 2 }),
      await publish('alpha', 'session.status', { n: 3 }),
      await publish('alpha', 'message.ack', { n: 4 }),
    ];
    await waitFor('every event', () => all.events().length >= 4);
    expect(all.events().map((f) => Number(f.id))).toEqual(seqs);
    expect(all.events()[0]).toMatchObject({ event: 'message.sent' });
    expect(JSON.parse(all.events()[0].data!)).toMatchObject({ sessionId: 'alpha', type: 'message.sent', version: 1, data: { n: 1 } });
    await waitFor('the filtered events', () => filtered.events().length >= 2);
    expect(filtered.events().map((f) => [f.event, Number(f.id)])).toEqual([
      ['message.sent', seqs[0]],
      ['message.ack', seqs[3]],
    ]);
  });

  it('resumes after Last-Event-ID without gaps or repeats, also from the query for polyfills', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const first = await open('?sessionId=gamma');
    const seqs: number[] = [];
    for (let i = 0; i < 3; i++) seqs.push(await publish('gamma', 'message.received', { i }));
    await waitFor('three events', () => first.events().length >= 3);
    const lastSeen = first.events()[1].id!;
    first.close();
    // Published while nobody listens: must come on resume.
    for (let i = 3; i < 6; i++) seqs.push(await publish('gamma', 'message.received', { i }));

    const resumed = await open('?sessionId=gamma', { 'last-event-id': lastSeen });
    await waitFor('the missed events', () => resumed.events().length >= 4);
    seqs.push(await publish('gamma', 'message.received', { i: 6 }));
    await waitFor('the live event', () => resumed.events().length >= 5);
    expect(resumed.events().map((f) => Number(f.id))).toEqual(seqs.slice(2));
    expect(resumed.events().map((f) => JSON.parse(f.data!).data.i)).toEqual([2, 3, 4, 5, 6]);

    const polyfill = await open(`?sessionId=gamma&lastEventId=${seqs[5]}`);
    await waitFor('the last event', () => polyfill.events().length >= 1);
    expect(polyfill.events().map((f) => Number(f.id))).toEqual([seqs[6]]);
  });

  it('tells a client whose Last-Event-ID is beyond the newest event (the stream started over) with event: reset, then replays the stream', async ({
    skip: skipTest,
  }) => {
    if (skip) return skipTest();
    const seqs = [await publish('eta', 'message.received', { i: 0 }), await publish('eta', 'message.received', { i: 1 })];
    const { firstSeq, lastSeq } = await stack.bus.eventBounds();
    const ahead = lastSeq + 1_000;
    const resumed = await open('?sessionId=eta', { 'last-event-id': String(ahead) });
    seqs.push(await publish('eta', 'message.received', { i: 2 }));
    await waitFor('the reset, the kept events and the live one', () => resumed.events().length >= 4);
    const [reset, ...events] = resumed.events();
    // Its id moves the client's resume point to just before the replay.
    expect(reset).toMatchObject({ event: 'reset', id: String(firstSeq - 1) });
    expect(JSON.parse(reset.data!)).toMatchObject({ reason: 'restarted', lastEventId: ahead, resumeFrom: firstSeq });
    expect(events.map((f) => Number(f.id))).toEqual(seqs);
  });

  it('tells a client whose Last-Event-ID retention dropped with event: reset, then goes on from the oldest event kept', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const lost = await publish('theta', 'message.received', { i: 0 });
    await dropEverything();
    const { firstSeq } = await stack.bus.eventBounds();
    expect(firstSeq).toBeGreaterThan(lost);
    const resumed = await open('?sessionId=theta', { 'last-event-id': String(lost - 1) });
    const live = await publish('theta', 'message.received', { i: 1 });
    await waitFor('the reset and the live event', () => resumed.events().length >= 2);
    const [reset, event] = resumed.events();
    expect(reset).toMatchObject({ event: 'reset', id: String(firstSeq - 1) });
    expect(JSON.parse(reset.data!)).toMatchObject({ reason: 'retention', lastEventId: lost - 1, resumeFrom: firstSeq });
    expect(Number(event.id)).toBe(live);
  }, 60_000);

  it('ends the subscription when the client disconnects', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    // Streams of earlier tests end as their clients' disconnects arrive.
    await waitFor('earlier streams to close', () => streams().size === 0);
    const clientsNow = await Promise.all([
      open('?sessionId=delta'),
      open('?sessionId=delta&types=message.sent'),
      open('?sessionId=delta&types=message.ack'),
    ]);
    expect(streams().size).toBe(3);
    if (nats) expect(await consumersOf('delta')).toBe(3);
    clientsNow.forEach((c) => c.close());
    await waitFor('the streams to close', () => streams().size === 0);
    if (nats) await waitFor('the consumers to go', async () => (await consumersOf('delta')) === 0);
    // Events after the disconnect reach no one and break nothing.
    await publish('delta', 'message.sent');
  });

  it('sends keep-alive comments', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    streams().keepAliveMs = 50;
    try {
      const client = await open('?sessionId=epsilon');
      await waitFor('a keep-alive', () => client.frames.some((f) => f.comment === 'keep-alive'));
    } finally {
      streams().keepAliveMs = 15_000;
    }
  });

  it('refuses unknown types (400) and keeps scoped keys to their sessions (403)', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const unknown = await open('?types=message.sent,message.exploded');
    expect(unknown.status).toBe(400);
    const session = await stack.database.sessions.create({ name: uniqueName('scoped'), engine: 'simulator' });
    const created = await fetch(`${stack.base}/api/keys`, {
      method: 'POST',
      headers: { 'x-api-key': GATEWAY_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ name: uniqueName('viewer'), role: 'viewer', sessionIds: [session.id] }),
    });
    const { key } = (await created.json()) as { key: string };
    expect((await open('?sessionId=zeta', {}, key)).status).toBe(403);
    const scoped = await open('', {}, key);
    expect(scoped.status).toBe(200);
    await publish('zeta', 'message.sent');
    const own = await publish(session.id, 'message.sent');
    await waitFor('its own session event', () => scoped.events().length >= 1);
    expect(scoped.events().map((f) => Number(f.id))).toEqual([own]);
  });

  it('forwards admin job progress to admin keys as infra.job, without an id', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const admin = await open();
    const typed = await open('?types=message.sent');
    const report = { id: 'job-1', kind: 'export', state: 'running', progress: { done: 40, total: 100, unit: 'rows', ratePerSecond: 20, etaSeconds: 3 } };
    await stack.bus.publish(INFRA_JOBS_PROGRESS_SUBJECT, report);
    await waitFor('the progress frame', () => admin.events().find((f) => f.event === 'infra.job'));
    const frame = admin.events().find((f) => f.event === 'infra.job')!;
    expect(frame.id).toBeUndefined();
    expect(JSON.parse(frame.data!)).toEqual(report);
    expect(typed.events().some((f) => f.event === 'infra.job')).toBe(false);
  });

  /** Retention at work: NATS purges the run's stream; the in-process log is pushed past its size by other sessions' events. */
  async function dropEverything(): Promise<void> {
    if (nats) {
      const nc = await connect({ servers: testBackends.natsUrl });
      try {
        await (await nc.jetstreamManager()).streams.purge(stack.config.EVENTS_STREAM ?? 'WA_EVENTS');
      } finally {
        await nc.close();
      }
      return;
    }
    const { lastSeq } = await stack.bus.eventBounds();
    for (let i = 0; i < MEMORY_LOG_SIZE; i++) await publish('filler', 'message.sent');
    expect((await stack.bus.eventBounds()).firstSeq).toBe(lastSeq + 1);
  }

  /** JetStream consumers of the run's stream that follow one session's events. */
  async function consumersOf(sessionId: string): Promise<number> {
    const nc = await connect({ servers: testBackends.natsUrl });
    try {
      const consumers = await (await nc.jetstreamManager()).consumers.list(stack.config.EVENTS_STREAM ?? 'WA_EVENTS').next();
      return consumers.filter((c) => [c.config.filter_subject, ...(c.config.filter_subjects ?? [])].some((f) => f?.includes(`.${sessionId}.`))).length;
    } finally {
      await nc.close();
    }
  }
});
