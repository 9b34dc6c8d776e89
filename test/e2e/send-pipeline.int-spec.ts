import { testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { buildWhenReachable } from './support/build';
import { type Accepted, chatOf, indexOf, sendTraffic } from './support/chat-traffic';
import { type EventSubscriber, type SeenEvent, subscribeEvents } from './support/event-subscriber';
import { type SendStack, startSendStack } from './support/send-stack';

const CHATS = 50;
const PER_CHAT = 20;
const TOTAL = CHATS * PER_CHAT;
const CLIENTS = 10;
const UNREACHABLE = 'NATS, Redis or PostgreSQL unreachable';
// Generous: five processes share a loaded 2-core machine with other suites.
const DRAIN_TIMEOUT_MS = 240_000;

interface SimulatorSend {
  client_message_id: string;
  wa_message_id: string;
  chat_id: string;
  body: string;
  created_at: Date;
}

const dataOf = (e: SeenEvent) => e.event.data as { messageId: string; chatId: string; ack?: string };
const distinct = (events: SeenEvent[]) => new Set(events.map((e) => dataOf(e).messageId)).size;

// Gateway, two session-workers, media-service and infra-admin as separate processes; PostgreSQL + Redis + NATS.
describe('sending end to end: HTTP → queue → lease owner → simulator → rows and JetStream events', () => {
  let reachable = false;
  let stack: SendStack | undefined;
  const tag = uniqueName('pbsend').replace(/-/g, '_');
  const subscribers: EventSubscriber[] = [];
  // Shared between the tests of this file, which run in order.
  let plain: { sessionId: string; accepted: Accepted; live: EventSubscriber } | undefined;
  let idempotent: { sessionId: string; startedAt: Date } | undefined;

  const subscribe = async (sessionId: string, from: Parameters<typeof subscribeEvents>[0]['from']) => {
    const subscriber = await subscribeEvents({ natsUrl: testBackends.natsUrl, stream: tag, subjectPrefix: tag, sessionId, from });
    subscribers.push(subscriber);
    return subscriber;
  };
  const count = async (query: string, bindings: unknown[]) => Number((await stack!.sql<{ n: string }>(query, bindings))[0].n);
  const engineSends = (sessionId: string) =>
    stack!.sql<SimulatorSend>(
      `select client_message_id, wa_message_id, chat_id, body, created_at from simulator_messages where session_id = ? and direction = 'out'`,
      [sessionId],
    );
  const waitAllRead = (sessionId: string) =>
    waitFor(
      `${TOTAL} rows read`,
      async () => (await count(`select count(*) as n from messages where session_id = ? and status = 'read'`, [sessionId])) === TOTAL,
      { timeoutMs: DRAIN_TIMEOUT_MS, intervalMs: 250 },
    ).catch(async (error: unknown) => {
      const byStatus = await stack!.sql(`select status, count(*) as n from messages where session_id = ? group by status`, [sessionId]);
      throw new Error(`${String(error)}; rows by status: ${JSON.stringify(byStatus)}`);
    });

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'Redis', 'PostgreSQL');
    if (!reachable) return;
    stack = await startSendStack({ tag, database: 'pb_send_pipeline_test', workers: ['worker-a', 'worker-b'] });
  }, 240_000);

  afterAll(async () => {
    for (const subscriber of subscribers) await subscriber.close();
    await stack?.close();
  });

  it(`${TOTAL} messages to ${CHATS} chats: every row read, sent and ack events on JetStream, order per chat kept`, async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const sessionId = await stack!.readySession('pipeline-plain');
    const live = await subscribe(sessionId, 'all');

    const started = Date.now();
    const accepted = await sendTraffic(stack!, sessionId, { chats: CHATS, perChat: PER_CHAT, clients: CLIENTS });
    const acceptedMs = Date.now() - started;
    for (const [reply] of accepted.replies) {
      expect(reply.status, JSON.stringify(reply.body)).toBe(202);
      expect(reply.body).toMatchObject({ id: expect.any(String), status: 'pending' });
    }
    plain = { sessionId, accepted, live };

    await waitAllRead(sessionId);
    const readMs = Date.now() - started;
    await waitFor(
      `${TOTAL} message.sent and ${2 * TOTAL} message.ack events`,
      () => distinct(live.ofType('message.sent')) === TOTAL && live.ofType('message.ack').length >= 2 * TOTAL,
      { timeoutMs: 60_000, intervalMs: 100 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; seen sent ${live.ofType('message.sent').length}, ack ${live.ofType('message.ack').length}`);
    });
    console.log(`send pipeline: ${TOTAL} messages accepted in ${acceptedMs} ms, all read ${readMs} ms after the first request`);

    // The history API agrees with the table.
    let listed = 0;
    let cursor: string | undefined;
    do {
      const page = await stack!.http<{ items: { status: string }[]; nextCursor?: string | null }>(
        'GET',
        `/api/sessions/${sessionId}/messages?direction=outgoing&status=read&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.items.every((m) => m.status === 'read')).toBe(true);
      listed += page.body.items.length;
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(listed).toBe(TOTAL);
    const one = await stack!.http('GET', `/api/sessions/${sessionId}/messages/${accepted.idsByChat[0][0]}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: accepted.idsByChat[0][0], chatId: chatOf(0), status: 'read', direction: 'outgoing' });
    expect(one.body.timeline.map((t: { status: string }) => t.status)).toEqual(expect.arrayContaining(['pending', 'sent', 'read']));

    // Events: one message.sent per message, a delivered and a read ack each, per-chat order = request order.
    const sent = live.ofType('message.sent');
    expect(sent).toHaveLength(TOTAL);
    const acks = live.ofType('message.ack');
    expect(new Set(acks.filter((e) => dataOf(e).ack === 'delivered').map((e) => dataOf(e).messageId)).size).toBe(TOTAL);
    expect(new Set(acks.filter((e) => dataOf(e).ack === 'read').map((e) => dataOf(e).messageId)).size).toBe(TOTAL);
    for (let chat = 0; chat < CHATS; chat++) {
      const order = sent.filter((e) => dataOf(e).chatId === chatOf(chat)).map((e) => dataOf(e).messageId);
      expect(order, `message.sent order of chat ${chat}`).toEqual(accepted.idsByChat[chat]);
    }

    // Engine side: exactly one send per message, in request order per chat.
    const engine = await engineSends(sessionId);
    expect(engine).toHaveLength(TOTAL);
    const rows = await stack!.sql<{ id: string; wa_message_id: string }>(`select id, wa_message_id from messages where session_id = ?`, [sessionId]);
    const waIdOf = new Map(rows.map((r) => [r.id, r.wa_message_id]));
    expect(new Set(engine.map((s) => s.wa_message_id))).toEqual(new Set(rows.map((r) => r.wa_message_id)));
    for (const s of engine) expect(waIdOf.get(s.client_message_id), s.client_message_id).toBe(s.wa_message_id);
    for (let chat = 0; chat < CHATS; chat++) {
      // Ties on the millisecond are ordered by the index itself: only a later send of an earlier message fails.
      const order = engine
        .filter((s) => s.chat_id === chatOf(chat))
        .sort((x, y) => x.created_at.getTime() - y.created_at.getTime() || indexOf(x.body) - indexOf(y.body))
        .map((s) => indexOf(s.body));
      expect(order, `engine order of chat ${chat}`).toEqual(Array.from({ length: PER_CHAT }, (_, n) => n));
    }
  }, DRAIN_TIMEOUT_MS + 120_000);

  it(`the same ${TOTAL} with an Idempotency-Key, each request twice at once: ${TOTAL} engine sends, one id per pair`, async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const sessionId = await stack!.readySession('pipeline-idempotent');
    const startedAt = new Date();
    idempotent = { sessionId, startedAt };
    const accepted = await sendTraffic(stack!, sessionId, { chats: CHATS, perChat: PER_CHAT, clients: CLIENTS, copies: 2 }, `${tag}-`);
    expect(accepted.replies).toHaveLength(TOTAL);
    for (const [first, second] of accepted.replies) {
      expect([200, 202], JSON.stringify(first.body)).toContain(first.status);
      expect([200, 202], JSON.stringify(second.body)).toContain(second.status);
      expect(second.body.id).toBe(first.body.id);
    }
    expect(new Set(accepted.replies.map(([first]) => first.body.id)).size).toBe(TOTAL);

    await waitAllRead(sessionId);
    expect(await count(`select count(*) as n from messages where session_id = ?`, [sessionId])).toBe(TOTAL);
    const engine = await engineSends(sessionId);
    expect(engine).toHaveLength(TOTAL);
    expect(new Set(engine.map((s) => s.client_message_id)).size).toBe(TOTAL);

    // A third try of a key, long after, still answers with the first message.
    const again = await stack!.http('POST', `/api/sessions/${sessionId}/messages`, { to: chatOf(0), type: 'text', text: 'chat 0 message 0' }, { 'idempotency-key': `${tag}-0-0` });
    expect([200, 202]).toContain(again.status);
    expect(again.body.id).toBe(accepted.idsByChat[0][0]);
    expect((await engineSends(sessionId)).length).toBe(TOTAL);
  }, DRAIN_TIMEOUT_MS + 120_000);

  it('an external subscriber connecting late replays what it missed, from a stream sequence or a start time', async ({ skip }) => {
    skip(!reachable || !plain || !idempotent, UNREACHABLE);
    // From a sequence: the second half of the first session's events, exactly as the live subscriber saw them.
    const live = plain!.live.events;
    const from = live[Math.floor(live.length / 2)].seq;
    const expected = live.filter((e) => e.seq >= from).map((e) => `${e.seq}:${e.event.id}`);
    const bySeq = await subscribe(plain!.sessionId, { seq: from });
    await waitFor('the replay from a sequence', () => bySeq.events.length >= expected.length, { timeoutMs: 30_000 });
    expect(bySeq.events.slice(0, expected.length).map((e) => `${e.seq}:${e.event.id}`)).toEqual(expected);

    // From a time: the idempotent run, which no subscriber watched while it happened.
    const byTime = await subscribe(idempotent!.sessionId, { time: idempotent!.startedAt });
    await waitFor(
      `${TOTAL} message.sent and ${TOTAL} read acks replayed`,
      () => distinct(byTime.ofType('message.sent')) === TOTAL && byTime.ofType('message.ack').filter((e) => dataOf(e).ack === 'read').length >= TOTAL,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const sentIds = new Set(byTime.ofType('message.sent').map((e) => dataOf(e).messageId));
    const rows = await stack!.sql<{ id: string }>(`select id from messages where session_id = ?`, [idempotent!.sessionId]);
    expect(sentIds).toEqual(new Set(rows.map((r) => r.id)));
    console.log(
      `send pipeline: late subscribers replayed ${bySeq.events.length} events from seq ${from} and ${byTime.events.length} from ${idempotent!.startedAt.toISOString()} ` +
        `(${byTime.ofType('message.sent').length} message.sent for ${TOTAL} messages)`,
    );
  }, 120_000);
});
