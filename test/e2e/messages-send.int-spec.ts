import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { MessageBatchEntity, MessageEntity } from '@plugboard/database';
import { EVENT_ENVELOPE_VERSION, type EventEnvelope, QueueName, type SessionStatusValue, eventSubject } from '@plugboard/contracts';
import { backendReachable, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { CancellationAnnouncer } from '../../services/gateway/src/messages/cancellation-announcer';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { GATEWAY_KEY, type GatewayStack, seedSession, startGatewayStack } from './support/gateway-stack';
import { type CallOptions, type HttpReply, call } from './support/sessions-http';

type Reply = HttpReply<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function http(stack: GatewayStack, method: string, path: string, options: CallOptions & { key?: string } = {}): Promise<Reply> {
  return call(stack.base, options.key ?? GATEWAY_KEY, method, path, { timeoutMs: 20_000, ...options });
}

const text = (to: string, body = 'hello') => ({ to, type: 'text', text: body });
const replayed = (reply: Reply) => reply.headers.get('idempotent-replayed');

/** The session's status as the session-worker reports it: its row and its `session.status` event (the gateway's status cache). */
async function setStatus(stack: GatewayStack, sessionId: string, status: SessionStatusValue, previous: SessionStatusValue): Promise<void> {
  await stack.database.sessions.update(sessionId, { status });
  await stack.bus.publishEvent({
    id: randomUUID(),
    type: 'session.status',
    version: EVENT_ENVELOPE_VERSION,
    sessionId,
    occurredAt: new Date().toISOString(),
    data: { status, previous },
  });
}

async function rowCount(stack: GatewayStack, where: Record<string, unknown> = {}): Promise<number> {
  return stack.database.orm.em.fork().count(MessageEntity, where);
}

async function jobCount(stack: GatewayStack, queue: QueueName): Promise<number> {
  const counts = await stack.queue.counts(queue);
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** A file server on 127.0.0.1 for `mediaUrl` sends. */
async function fileServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/big.bin') {
      // A declared length over MEDIA_MAX_BYTES is refused before any byte is read.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '300000' });
      res.end(Buffer.alloc(300_000, 1));
      return;
    }
    if (req.url === '/photo.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '4' });
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

const backends = [
  { name: 'SQLite + memory queue', postgres: false },
  { name: 'PostgreSQL + BullMQ', postgres: true },
] as const;

describe.each(backends)('messages API on $name', ({ postgres }) => {
  let stack: GatewayStack;
  let isolated: IsolatedBackends | undefined;
  let files: { url: string; server: Server };
  let ready: string;
  let skip = false;

  beforeAll(async () => {
    if (postgres) {
      const reachable = (await backendReachable('PostgreSQL', testBackends.databaseUrl)) && (await backendReachable('Redis', testBackends.redisUrl));
      if (!reachable) {
        skip = true;
        return;
      }
      isolated = await isolateBackends({ tag: uniqueName('msg').replace(/-/g, '_'), queue: 'bullmq', database: 'messages_test' });
    }
    files = await fileServer();
    const env = { ...(isolated?.env ?? {}), BUS_TYPE: 'memory', BULK_MAX_MESSAGES: '50', BODY_SIZE_LIMIT: '65536', MEDIA_MAX_BYTES: '200000', SSRF_ALLOWED_HOSTS: '127.0.0.1' };
    stack = await startGatewayStack(env);
    ready = await seedSession(stack, 'ready-one');
  });

  afterAll(async () => {
    await stack?.close();
    files?.server.close();
    await isolated?.cleanup();
  });

  it('accepts a send (202), writes the pending row and adds its job', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const reply = await http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: text('+15551230000') });
    expect(reply).toMatchObject({ status: 202, body: { id: expect.any(String), status: 'pending' } });
    expect(replayed(reply)).toBeNull();
    const row = await stack.database.messages.get(reply.body.id);
    expect(row).toMatchObject({ sessionId: ready, chatId: '15551230000@c.us', status: 'pending', direction: 'outgoing', body: 'hello', from: '15550001111@c.us' });
    const job = await stack.queue.getJob(QueueName.MessagesSend, `${ready}.${reply.body.id}`);
    expect(job?.data).toEqual({ sessionId: ready, messageId: reply.body.id });
  });

  it('turns 20 concurrent requests with one Idempotency-Key into one message and one job', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const jobsBefore = await jobCount(stack, QueueName.MessagesSend);
    // ':' and spaces are fine in a key; the job id hashes it.
    const key = `order:${Math.random()} #1`;
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: text('15551230001'), headers: { 'idempotency-key': key } })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(await rowCount(stack, { sessionId: ready, idempotencyKey: key })).toBe(1);
    expect(await jobCount(stack, QueueName.MessagesSend)).toBe(jobsBefore + 1);
    // The one request that created the message is not marked; every other one is a replay.
    expect(replies.map(replayed).sort()).toEqual([null, ...Array(19).fill('true')]);

    // A later repeat answers the same message with its current status.
    const again = await http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: text('15551230001'), headers: { 'idempotency-key': key } });
    expect(again.body).toEqual({ id: replies[0].body.id, status: 'pending' });
    expect(replayed(again)).toBe('true');
  });

  it('answers a known Idempotency-Key with its first message or batch while the session is not ready', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const session = await seedSession(stack, uniqueName('reconnecting'));
    const key = uniqueName('lost-answer');
    const bulkKey = uniqueName('lost-bulk-answer');
    const first = await http(stack, 'POST', `/api/sessions/${session}/messages`, { body: text('15551230005'), headers: { 'idempotency-key': key } });
    const firstBatch = await http(stack, 'POST', `/api/sessions/${session}/messages/bulk`, { body: { messages: [text('15551230006')] }, headers: { 'idempotency-key': bulkKey } });
    expect([first.status, firstBatch.status]).toEqual([202, 202]);

    await setStatus(stack, session, 'disconnected', 'ready');
    const fresh = () => http(stack, 'POST', `/api/sessions/${session}/messages`, { body: text('15551230005'), headers: { 'idempotency-key': uniqueName('new') } });
    await waitFor('the gateway to see the session reconnecting', async () => (await fresh()).status === 409);
    const rows = await rowCount(stack, { sessionId: session });

    const again = await http(stack, 'POST', `/api/sessions/${session}/messages`, { body: text('15551230005'), headers: { 'idempotency-key': key } });
    expect(again).toMatchObject({ status: 202, body: { id: first.body.id, status: 'pending' } });
    expect(replayed(again)).toBe('true');
    const batchAgain = await http(stack, 'POST', `/api/sessions/${session}/messages/bulk`, { body: { messages: [text('15551230006')] }, headers: { 'idempotency-key': bulkKey } });
    expect(batchAgain).toMatchObject({ status: 202, body: firstBatch.body });
    expect(replayed(batchAgain)).toBe('true');
    // A key not seen before still needs a ready session.
    expect(await fresh()).toMatchObject({ status: 409, body: { error: { code: 'SESSION_NOT_READY', details: { status: 'disconnected' } } } });
    expect(await rowCount(stack, { sessionId: session })).toBe(rows);
  });

  it('turns concurrent bulk sends with one Idempotency-Key into one batch and one job; keys never cross routes', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const batches = () => stack.database.orm.em.fork().count(MessageBatchEntity, { sessionId: ready });
    const [batchesBefore, jobsBefore] = [await batches(), await jobCount(stack, QueueName.MessagesBulk)];
    const key = `bulk:${Math.random()} #1`;
    const messages = Array.from({ length: 3 }, (_, i) => text(`1555666000${i}`, `b${i}`));
    const bulk = (k: string) => http(stack, 'POST', `/api/sessions/${ready}/messages/bulk`, { body: { messages }, headers: { 'idempotency-key': k } });
    const replies = await Promise.all(Array.from({ length: 10 }, () => bulk(key)));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(new Set(replies.map((r) => r.body.batchId)).size).toBe(1);
    expect(replies.every((r) => r.body.total === 3)).toBe(true);
    expect(replies.map(replayed).sort()).toEqual([null, ...Array(9).fill('true')]);
    const { batchId } = replies[0].body;
    expect(await batches()).toBe(batchesBefore + 1);
    expect(await rowCount(stack, { batchId })).toBe(3);
    expect(await jobCount(stack, QueueName.MessagesBulk)).toBe(jobsBefore + 1);

    const again = await bulk(key);
    expect(again).toMatchObject({ status: 202, body: { batchId, total: 3 } });
    expect(replayed(again)).toBe('true');

    // A bulk send's key is not a single send's, nor the other way round.
    const single = await http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: text('15556660009'), headers: { 'idempotency-key': key } });
    expect(single).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT', details: { header: 'idempotency-key' } } } });
    const singleKey = uniqueName('single');
    expect((await http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: text('15556660009'), headers: { 'idempotency-key': singleKey } })).status).toBe(202);
    expect(await bulk(singleKey)).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect(await batches()).toBe(batchesBefore + 1);

    // After IDEMPOTENCY_WINDOW the key makes a new batch.
    const old = new Date(Date.now() - 2 * stack.config.IDEMPOTENCY_WINDOW);
    await stack.database.orm.em.fork().nativeUpdate(MessageEntity, { batchId, idempotencyKey: key }, { createdAt: old });
    const later = await bulk(key);
    expect(later).toMatchObject({ status: 202, body: { total: 3 } });
    expect(later.body.batchId).not.toBe(batchId);
    expect(replayed(later)).toBeNull();
  });

  it('sends again for a key older than IDEMPOTENCY_WINDOW, and the new message gets its own job', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const key = `expired-${Math.random().toString(36).slice(2)}`;
    const first = await http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: text('15551230002'), headers: { 'idempotency-key': key } });
    const old = new Date(Date.now() - 2 * stack.config.IDEMPOTENCY_WINDOW);
    await stack.database.orm.em.fork().nativeUpdate(MessageEntity, { id: first.body.id }, { createdAt: old });

    const second = await http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: text('15551230002'), headers: { 'idempotency-key': key } });
    expect(second).toMatchObject({ status: 202, body: { status: 'pending' } });
    expect(second.body.id).not.toBe(first.body.id);
    expect((await stack.database.messages.get(first.body.id))?.idempotencyKey).toBeNull();
    // The key's job id still holds the first message's job: the new one is added under its own id.
    const own = await stack.queue.getJob(QueueName.MessagesSend, `${ready}.${second.body.id}`);
    expect(own?.data).toEqual({ sessionId: ready, messageId: second.body.id });
  });

  it('pages through the history with filters, newest first, without gaps or repeats', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const session = await seedSession(stack, uniqueName('history'));
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) {
      const reply = await http(stack, 'POST', `/api/sessions/${session}/messages`, { body: text(i % 2 ? '15557770001' : '15557770002', `m${i}`) });
      sent.push(reply.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Reply = await http(stack, 'GET', `/api/sessions/${session}/messages?limit=2&chatId=15557770002${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((m: { id: string; chatId: string }) => (expect(m.chatId).toBe('15557770002@c.us'), m.id)));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([sent[6], sent[4], sent[2], sent[0]]);

    const filtered = await http(stack, 'GET', `/api/sessions/${session}/messages?type=text&status=pending&direction=outgoing&from=2000-01-01T00:00:00Z`);
    expect(filtered.body.items).toHaveLength(7);
    const none = await http(stack, 'GET', `/api/sessions/${session}/messages?to=2000-01-01T00:00:00Z`);
    expect(none.body).toEqual({ items: [], nextCursor: null });
    const bad = await http(stack, 'GET', `/api/sessions/${session}/messages?direction=sideways`);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });

    const one = await http(stack, 'GET', `/api/sessions/${session}/messages/${sent[3]}`);
    expect(one.body).toMatchObject({ id: sent[3], status: 'pending', timeline: [{ status: 'pending', at: expect.any(String) }] });
    const elsewhere = await http(stack, 'GET', `/api/sessions/${ready}/messages/${sent[3]}`);
    expect(elsewhere).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });

  it('accepts a bulk send: the batch, N spaced rows and one job; progress pages; cancel stops the rest', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const bulkJobsBefore = await jobCount(stack, QueueName.MessagesBulk);
    const messages = Array.from({ length: 5 }, (_, i) => text(`1555888000${i}`, `bulk ${i}`));
    const accepted = await http(stack, 'POST', `/api/sessions/${ready}/messages/bulk`, { body: { messages, delayMs: 1_000 } });
    expect(accepted).toMatchObject({ status: 202, body: { batchId: expect.any(String), total: 5 } });
    const { batchId } = accepted.body;
    const rows = await stack.database.orm.em.fork().find(MessageEntity, { batchId }, { orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.body)).toEqual(messages.map((m) => m.text));
    expect(rows.map((r) => r.dueAt.getTime() - rows[0].dueAt.getTime())).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
    expect(await jobCount(stack, QueueName.MessagesBulk)).toBe(bulkJobsBefore + 1);
    expect((await stack.queue.getJob(QueueName.MessagesBulk, `${ready}.batch.${batchId}`))?.data).toEqual({ sessionId: ready, batchId });

    const first = await http(stack, 'GET', `/api/sessions/${ready}/batches/${batchId}?limit=3`);
    expect(first.body).toMatchObject({ id: batchId, status: 'running', total: 5, sent: 0, failed: 0, pending: 5, delayMs: 1_000, completedAt: null });
    expect(first.body.messages).toHaveLength(3);
    const second = await http(stack, 'GET', `/api/sessions/${ready}/batches/${batchId}?limit=3&cursor=${first.body.nextCursor}`);
    expect([...first.body.messages, ...second.body.messages].map((m: { id: string }) => m.id)).toEqual(rows.map((r) => r.id));
    expect(second.body.nextCursor).toBeNull();

    const cancelled = await http(stack, 'POST', `/api/sessions/${ready}/batches/${batchId}/cancel`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', failed: 5, pending: 0, sent: 0 });
    expect(cancelled.body.messages.every((m: { status: string; failureReason: string }) => m.status === 'failed' && m.failureReason === 'batch_cancelled')).toBe(true);
    const other = await seedSession(stack, uniqueName('other'));
    expect((await http(stack, 'GET', `/api/sessions/${other}/batches/${batchId}`)).status).toBe(404);
  });

  it('publishes a final message.failed for each message a cancel stops, also those an interrupted cancel left owed', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const session = await seedSession(stack, uniqueName('cancel'));
    const failed: EventEnvelope[] = [];
    const subscription = await stack.bus.subscribeEvents({ filter: eventSubject(session, 'message.failed') }, (event) => void failed.push(event));
    const bulk = async (count: number): Promise<string> => {
      const messages = Array.from({ length: count }, (_, i) => text(`1555777000${i}`, `c${i}`));
      return (await http(stack, 'POST', `/api/sessions/${session}/messages/bulk`, { body: { messages, delayMs: 60_000 } })).body.batchId;
    };
    const cancel = (batchId: string) => http(stack, 'POST', `/api/sessions/${session}/batches/${batchId}/cancel`);
    const eventsOf = async (batchId: string) => {
      const rows = await stack.database.orm.em.fork().find(MessageEntity, { batchId }, { orderBy: { id: 'asc' } });
      return rows.map((row) => ({ messageId: row.id, chatId: row.chatId, batchId, reason: 'batch_cancelled', attempts: 0, final: true }));
    };
    try {
      const batchId = await bulk(3);
      expect(await cancel(batchId)).toMatchObject({ status: 200, body: { status: 'cancelled', failed: 3 } });
      await waitFor('3 message.failed events', () => failed.length >= 3);
      expect(failed.map((event) => event.data)).toEqual(await eventsOf(batchId));
      expect(failed.every((event) => event.sessionId === session && event.type === 'message.failed')).toBe(true);
      // Announced once: cancelling again publishes nothing.
      expect((await cancel(batchId)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(failed).toHaveLength(3);

      // Rows cancelled but their events never published (a gateway that stopped in between):
      // the next cancel of the batch publishes them, and so does a gateway's start.
      const interrupted = await bulk(2);
      await stack.database.batches.cancel(interrupted);
      expect((await cancel(interrupted)).status).toBe(200);
      await waitFor('the owed events of the interrupted cancel', () => failed.length >= 5);
      expect(failed.slice(3).map((event) => event.data)).toEqual(await eventsOf(interrupted));

      const crashed = await bulk(2);
      await stack.database.batches.cancel(crashed);
      expect(await stack.gateway.app.get(CancellationAnnouncer).catchUp()).toBe(2);
      await waitFor('the owed events of the crashed cancel', () => failed.length >= 7);
      expect(failed.slice(5).map((event) => event.data)).toEqual(await eventsOf(crashed));
    } finally {
      await subscription.unsubscribe();
    }
  });

  it('writes a batch with all its rows in one transaction: a failing row leaves nothing', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const before = await stack.database.orm.em.fork().count(MessageBatchEntity, {});
    const rowsBefore = await rowCount(stack);
    const rows = Array.from({ length: 600 }, (_, i) => ({ chatId: `1555999${i}@c.us`, from: 'me', to: `1555999${i}@c.us`, type: 'text' as const, body: 'x' }));
    rows[550] = { ...rows[550], chatId: null as unknown as string }; // NOT NULL violation in the third chunk
    await expect(stack.database.batches.createWithMessages({ sessionId: ready, total: 600, delayMs: 0 }, rows)).rejects.toThrow();
    expect(await stack.database.orm.em.fork().count(MessageBatchEntity, {})).toBe(before);
    expect(await rowCount(stack)).toBe(rowsBefore);
  });

  it('lets a bulk body exceed BODY_SIZE_LIMIT, but not BULK_MAX_MESSAGES', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const long = 'x'.repeat(2_000);
    const messages = Array.from({ length: 50 }, (_, i) => text(`1555444${String(i).padStart(4, '0')}`, long));
    const big = await http(stack, 'POST', `/api/sessions/${ready}/messages/bulk`, { body: { messages } });
    expect(big).toMatchObject({ status: 202, body: { total: 50 } });
    const tooMany = await http(stack, 'POST', `/api/sessions/${ready}/messages/bulk`, { body: { messages: [...messages, text('15554440099')] } });
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
  });

  it('stores the file of a mediaId or a mediaUrl send, the URL through the SSRF guard', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const upload = await fetch(`${stack.base}/api/media?sessionId=${ready}`, {
      method: 'POST',
      headers: { 'x-api-key': GATEWAY_KEY, 'content-type': 'image/png' },
      body: Buffer.from([1, 2, 3]),
    });
    const { id: mediaId } = (await upload.json()) as { id: string };
    const byId = await http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: { to: '15551230003', type: 'image', mediaId, caption: 'look' } });
    expect(byId.status).toBe(202);
    expect(await stack.database.messages.get(byId.body.id)).toMatchObject({ mediaId, payload: { caption: 'look' } });

    const byUrl = await http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: { to: '15551230003', type: 'document', mediaUrl: `${files.url}/photo.png` } });
    expect(byUrl.status).toBe(202);
    const row = await stack.database.messages.get(byUrl.body.id);
    const record = await stack.bus.request('media.get', { id: row!.mediaId! });
    expect(record).toMatchObject({ size: 4, mimeType: 'image/png', direction: 'outbound', sessionId: ready, filename: 'photo.png' });
  });

  describe('refusals write nothing and enqueue nothing', () => {
    const cases: { name: string; body?: unknown; raw?: string; headers?: Record<string, string>; session?: 'missing' | 'stopped'; status: number; code: string }[] = [
      { name: 'unknown type', body: { to: '15551234567', type: 'sticker', text: 'x' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'missing to', body: { type: 'text', text: 'x' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'malformed chat id', body: { to: 'not-a-number@c.us', type: 'text', text: 'x' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'field of another type', body: { to: '15551234567', type: 'text', text: 'x', mediaId: '3f1c1f5e-8a53-4c2e-9a4b-5d8a9c1e2f30' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'media type without a file', body: { to: '15551234567', type: 'image' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'body over BODY_SIZE_LIMIT', raw: JSON.stringify({ to: '15551234567', type: 'text', text: 'x'.repeat(65_536) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
      { name: 'mediaId that does not exist', body: { to: '15551234567', type: 'image', mediaId: '3f1c1f5e-8a53-4c2e-9a4b-5d8a9c1e2f30' }, status: 404, code: 'MEDIA_NOT_FOUND' },
      { name: 'mediaUrl to a private address', body: { to: '15551234567', type: 'image', mediaUrl: 'http://10.1.2.3/a.png' }, status: 400, code: 'SSRF_BLOCKED' },
      { name: 'mediaUrl over MEDIA_MAX_BYTES', body: { to: '15551234567', type: 'document', mediaUrl: 'FILES/big.bin' }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
      { name: 'mediaUrl that answers 404', body: { to: '15551234567', type: 'document', mediaUrl: 'FILES/missing.pdf' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'Idempotency-Key too long', body: { to: '15551234567', type: 'text', text: 'x' }, headers: { 'idempotency-key': 'k'.repeat(256) }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'unknown session', body: { to: '15551234567', type: 'text', text: 'x' }, session: 'missing', status: 404, code: 'NOT_FOUND' },
      { name: 'session not ready', body: { to: '15551234567', type: 'text', text: 'x' }, session: 'stopped', status: 409, code: 'SESSION_NOT_READY' },
    ];

    it.for(cases)('$name → $status $code', async ({ body, raw, headers, session, status, code }, { skip: skipTest }) => {
      if (skip) return skipTest();
      const target = session === 'missing' ? 'no-such-session' : session === 'stopped' ? await seedSession(stack, uniqueName('stopped'), 'stopped') : ready;
      const rows = await rowCount(stack);
      const jobs = await jobCount(stack, QueueName.MessagesSend);
      const mediaBefore = (await stack.bus.request('media.list', { limit: 500 })).items.length;
      const resolved = body === undefined ? undefined : JSON.parse(JSON.stringify(body).replace('FILES', files.url));
      const reply = await http(stack, 'POST', `/api/sessions/${target}/messages`, { body: resolved, raw, headers });
      expect(reply).toMatchObject({ status, body: { error: { code } } });
      if (code === 'SESSION_NOT_READY') expect(reply.body.error.details).toMatchObject({ status: 'stopped' });
      if (code === 'VALIDATION_FAILED' && body !== undefined && !JSON.stringify(body).includes('FILES') && !headers) {
        expect(reply.body.error.details.issues.length).toBeGreaterThan(0);
      }
      expect(await rowCount(stack)).toBe(rows);
      expect(await jobCount(stack, QueueName.MessagesSend)).toBe(jobs);
      expect((await stack.bus.request('media.list', { limit: 500 })).items.length).toBe(mediaBefore);
    });
  });

  it('documents the replay header on the 202 of both send routes', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const { body: doc } = await http(stack, 'GET', '/api/docs-json');
    for (const path of ['/api/sessions/{id}/messages', '/api/sessions/{id}/messages/bulk']) {
      const post = doc.paths[path].post;
      expect(post.responses['202'].headers['Idempotent-Replayed']).toMatchObject({ schema: { type: 'string', enum: ['true'] } });
      expect(post.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    }
  });

  it('keeps a session-scoped key to its sessions', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const other = await seedSession(stack, uniqueName('scoped'));
    const created = await http(stack, 'POST', '/api/keys', { body: { name: uniqueName('crm'), role: 'operator', sessionIds: [other] } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await http(stack, 'POST', `/api/sessions/${other}/messages`, { body: text('15551230004'), key })).status).toBe(202);
    expect(await http(stack, 'POST', `/api/sessions/${ready}/messages`, { body: text('15551230004'), key })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });
});

describe('messages API with QUEUE_WHEN_NOT_READY=true', () => {
  let stack: GatewayStack;

  beforeAll(async () => {
    stack = await startGatewayStack({ QUEUE_WHEN_NOT_READY: 'true' });
  });
  afterAll(async () => stack?.close());

  it('accepts a send to a session that is not ready; the row waits pending with its job', async () => {
    const session = await seedSession(stack, 'waiting', 'qr_ready');
    const reply = await http(stack, 'POST', `/api/sessions/${session}/messages`, { body: text('15551239999') });
    expect(reply).toMatchObject({ status: 202, body: { status: 'pending' } });
    expect(await stack.queue.getJob(QueueName.MessagesSend, `${session}.${reply.body.id}`)).not.toBeNull();
  });
});
