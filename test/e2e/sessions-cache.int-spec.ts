import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { CacheKeys, CachePort } from '@plugboard/cache';
import { EVENT_ENVELOPE_VERSION, type RequestSubject } from '@plugboard/contracts';
import { backendReachable, deleteRedisKeys, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { type EmbeddedStack as Stack, STACK_KEY, call, startEmbeddedStack } from './support/embedded-stack';
import { call as callWithKey } from './support/sessions-http';
import { openSse } from './support/sse-client';
import { WebhookReceiver } from './support/webhook-receiver';

/** The cache plug of a run: its settings, and (Redis) a way to read an entry straight from the server. */
interface CachePlug {
  env: Record<string, string>;
  /** The raw stored entry, to show it sits in Redis and not in the process. */
  rawEntry?: (key: string) => Promise<string | null>;
  close(): Promise<void>;
}

/**
 * Session details, QR, list and stats read through the gateway's cache with the simulator behind it:
 * how many requests reach the session-worker over the bus, and what the next read sees after
 * an event or a change made through the gateway.
 */
function sessionCacheSuite(label: string, plug: () => Promise<CachePlug | undefined>): void {
  describe(label, () => {
    let cachePlug: CachePlug | undefined;
    let stack: Stack | undefined;

    beforeAll(async () => {
      cachePlug = await plug();
      if (!cachePlug) return;
      // No rotation during a test: the QR changes only when the test publishes a `session.qr` event.
      stack = await startEmbeddedStack({ ...cachePlug.env, SIMULATOR_QR_ROTATE_MS: '120000', RATE_LIMIT_ENABLED: 'false', SSRF_ALLOWED_HOSTS: '127.0.0.1' });
      vi.spyOn(stack.bus, 'request');
    }, 60_000);

    afterAll(async () => {
      await stack?.close();
      await cachePlug?.close();
    });

    /** Bus requests on `subject` so far (the gateway's reads, and the worker's own). */
    const requests = (subject: RequestSubject) => vi.mocked(stack!.bus.request).mock.calls.filter(([s]) => s === subject).length;
    const get = async (path: string) => call(stack!, 'GET', path);
    const statusOf = async (id: string) => (await get(`/api/sessions/${id}/status`)).body?.status as string | undefined;

    async function sessionAwaitingScan(name: string): Promise<string> {
      const created = await call(stack!, 'POST', '/api/sessions', { name });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      await waitFor('qr_ready', async () => (await statusOf(created.body.id)) === 'qr_ready', { timeoutMs: 20_000 });
      return created.body.id as string;
    }

    it('serves the second read of details and list from the cache, and the QR from its event', async ({ skip }) => {
      if (!stack) return skip();
      const id = await sessionAwaitingScan('cached-reads');
      const before = { get: requests('sessions.get'), list: requests('sessions.list'), qr: requests('wa.session.qr') };

      const [info1, info2] = [await get(`/api/sessions/${id}`), await get(`/api/sessions/${id}`)];
      const [list1, list2] = [await get('/api/sessions'), await get('/api/sessions')];
      const [qr1, qr2] = [await get(`/api/sessions/${id}/qr`), await get(`/api/sessions/${id}/qr`)];

      expect([info1.status, list1.status, qr1.status]).toEqual([200, 200, 200]);
      expect(info2.body).toEqual(info1.body);
      expect(list2.body).toEqual(list1.body);
      expect(qr2.body).toEqual(qr1.body);
      expect(info1.body).toMatchObject({ id, status: 'qr_ready' });
      expect(list1.body.sessions.map((s: { id: string }) => s.id)).toContain(id);
      expect({ get: requests('sessions.get'), list: requests('sessions.list'), qr: requests('wa.session.qr') }).toEqual({
        get: before.get + 1,
        list: before.list + 1,
        // The worker's `session.qr` event stored the code before the first read asked for it.
        qr: before.qr,
      });
      if (cachePlug?.rawEntry) expect(await cachePlug.rawEntry(`session:${id}:info`)).toContain('"qr_ready"');

      // Without the event's entry, the first QR read asks the worker and the next one does not.
      await stack.handles[0].app.get(CachePort, { strict: false }).delete(CacheKeys.sessionQr(id));
      const [qr3, qr4] = [await get(`/api/sessions/${id}/qr`), await get(`/api/sessions/${id}/qr`)];
      expect(qr3.body).toEqual(qr1.body);
      expect(qr4.body).toEqual(qr1.body);
      expect(requests('wa.session.qr')).toBe(before.qr + 1);
    });

    it('shows the code of a session.qr event at once, and after pairing drops QR, details and list', async ({ skip }) => {
      if (!stack) return skip();
      const id = await sessionAwaitingScan('event-driven');
      expect((await get(`/api/sessions/${id}/qr`)).status).toBe(200);
      expect((await get(`/api/sessions/${id}`)).body.status).toBe('qr_ready');
      expect((await get('/api/sessions')).body.sessions.find((s: { id: string }) => s.id === id).status).toBe('qr_ready');
      const qrRequests = requests('wa.session.qr');

      // What a worker publishes when WhatsApp rotates the code.
      const rotated = { qr: `rotated-${id}`, expiresAt: new Date(Date.now() + 60_000).toISOString() };
      await stack.bus.publishEvent({ id: randomUUID(), type: 'session.qr', version: EVENT_ENVELOPE_VERSION, sessionId: id, occurredAt: new Date().toISOString(), data: rotated });
      await waitFor('the rotated code', async () => (await get(`/api/sessions/${id}/qr`)).body?.qr === rotated.qr);
      expect(requests('wa.session.qr')).toBe(qrRequests);

      expect((await call(stack, 'POST', `/api/sessions/${id}/simulator/pair`)).status).toBe(200);
      // The status is set by the same event handler that drops the other entries, after dropping them.
      await waitFor('ready', async () => (await statusOf(id)) === 'ready', { timeoutMs: 20_000 });
      const qrAfter = await get(`/api/sessions/${id}/qr`);
      expect(qrAfter.status).toBe(409);
      expect(qrAfter.body.error).toMatchObject({ code: 'CONFLICT', details: { status: 'ready' } });
      expect((await get(`/api/sessions/${id}`)).body).toMatchObject({ status: 'ready', phone: expect.any(String) });
      expect((await get('/api/sessions')).body.sessions.find((s: { id: string }) => s.id === id).status).toBe('ready');
    });

    it('lets the caller read its own create, stop, start and delete at once', async ({ skip }) => {
      if (!stack) return skip();
      const id = await sessionAwaitingScan('own-writes');
      const listed = async () => ((await get('/api/sessions')).body.sessions as { id: string; desiredState: string }[]).find((s) => s.id === id);
      expect((await get(`/api/sessions/${id}`)).body.desiredState).toBe('running');
      expect(await listed()).toMatchObject({ desiredState: 'running' });

      expect((await call(stack, 'POST', `/api/sessions/${id}/stop`)).status).toBe(200);
      expect((await get(`/api/sessions/${id}`)).body).toMatchObject({ status: 'stopped', desiredState: 'stopped' });
      expect(await listed()).toMatchObject({ status: 'stopped', desiredState: 'stopped' });
      expect(await statusOf(id)).toBe('stopped');

      expect((await call(stack, 'POST', `/api/sessions/${id}/start`)).status).toBe(200);
      expect((await get(`/api/sessions/${id}`)).body.desiredState).toBe('running');
      expect(await listed()).toMatchObject({ desiredState: 'running' });

      const other = await call(stack, 'POST', '/api/sessions', { name: 'own-writes-2', start: false });
      expect(other.status).toBe(201);
      expect(((await get('/api/sessions')).body.sessions as { id: string }[]).map((s) => s.id)).toContain(other.body.id);

      expect((await call(stack, 'DELETE', `/api/sessions/${id}`)).status).toBe(200);
      expect((await get(`/api/sessions/${id}`)).status).toBe(404);
      expect((await get(`/api/sessions/${id}/status`)).status).toBe(404);
      expect(await listed()).toBeUndefined();
    });

    it('sees at once a create and a delete made past this gateway, and streams session.created and session.deleted', async ({ skip }) => {
      if (!stack) return skip();
      const sse = await openSse(`${stack.base}/api/events?types=session.created,session.deleted`, { 'x-api-key': STACK_KEY });
      try {
        expect(sse.status).toBe(200);
        await waitFor('the stream to open', () => sse.frames.some((f) => f.comment === 'connected'));
        const listedIds = async () => ((await get('/api/sessions')).body.sessions as { id: string }[]).map((s) => s.id);
        await listedIds();
        const listRequests = requests('sessions.list');
        await listedIds();
        expect(requests('sessions.list')).toBe(listRequests);

        // What another gateway does: straight to the session-worker, so no route of this one drops anything.
        const created = await stack.bus.request('sessions.create', { name: 'made-elsewhere', start: false });
        // Far within the list's TTL (30 s): only the event can have dropped it.
        await waitFor('the new session listed', async () => (await listedIds()).includes(created.id), { timeoutMs: 2_000 });
        expect((await get(`/api/sessions/${created.id}`)).status).toBe(200);
        expect(await statusOf(created.id)).toBe('created');

        await stack.bus.request('sessions.delete', { id: created.id });
        const gone = async () =>
          !(await listedIds()).includes(created.id) && (await get(`/api/sessions/${created.id}`)).status === 404 && (await get(`/api/sessions/${created.id}/status`)).status === 404;
        await waitFor('the session gone from list, details and status', gone, { timeoutMs: 2_000 });

        await waitFor('both events streamed', () => sse.events().length >= 2);
        expect(sse.events().map((f) => [f.event, JSON.parse(f.data!)])).toEqual([
          ['session.created', expect.objectContaining({ sessionId: created.id, data: { id: created.id, name: 'made-elsewhere', engine: 'simulator', status: 'created', desiredState: 'stopped', createdAt: created.createdAt } })],
          ['session.deleted', expect.objectContaining({ sessionId: created.id, data: { id: created.id, name: 'made-elsewhere', deletedAt: expect.any(String) } })],
        ]);
      } finally {
        sse.close();
      }
    });

    it('answers the sessions stats from one cached document: counts of the last 24 h, cut per key, dropped by session changes', async ({ skip }) => {
      if (!stack) return skip();
      const countQueries = vi.spyOn(stack.database.messages, 'countsSince');
      const paired = async (name: string) => {
        const id = await sessionAwaitingScan(name);
        expect((await call(stack!, 'POST', `/api/sessions/${id}/simulator/pair`)).status).toBe(200);
        await waitFor(`${name} ready`, async () => (await statusOf(id)) === 'ready', { timeoutMs: 20_000 });
        return id;
      };
      const [a, b] = [await paired('stats-a'), await paired('stats-b')];
      const text = { to: '15550001111', type: 'text', text: 'hi' };
      const inbound = (id: string) => call(stack!, 'POST', `/api/sessions/${id}/simulator/inbound`, { from: '15550002222@c.us', type: 'text', body: 'hello' });
      const received = async (id: string) => (await stack!.database.messages.history(id, { direction: 'incoming' })).items.length;

      // a: two texts and a reply quoting a message nobody has, which fails for good; one received.
      const sends = [await call(stack, 'POST', `/api/sessions/${a}/messages`, text), await call(stack, 'POST', `/api/sessions/${a}/messages`, text)];
      sends.push(await call(stack, 'POST', `/api/sessions/${a}/messages`, { ...text, type: 'reply', quotedMessageId: randomUUID() }));
      expect(sends.map((r) => r.status)).toEqual([202, 202, 202]);
      const settled = async () => {
        const statuses = await Promise.all(sends.map(async (r) => (await get(`/api/sessions/${a}/messages/${r.body.id}`)).body?.status));
        return statuses.every((status) => status !== 'pending' && status !== 'sending');
      };
      await waitFor("a's sends settled", settled, { timeoutMs: 10_000 });
      expect((await inbound(a)).status).toBe(200);
      // b: two received, and a bulk of two a minute apart: the first goes out, the second waits.
      expect([(await inbound(b)).status, (await inbound(b)).status]).toEqual([200, 200]);
      const bulk = await call(stack, 'POST', `/api/sessions/${b}/messages/bulk`, { messages: [text, text], delayMs: 60_000 });
      expect(bulk.status).toBe(202);
      await waitFor("b's first bulk message sent", async () => (await get(`/api/sessions/${b}/batches/${bulk.body.batchId}`)).body?.sent === 1, { timeoutMs: 10_000 });
      await waitFor('the received messages stored', async () => (await received(a)) === 1 && (await received(b)) === 2);

      const first = await get('/api/sessions/stats');
      const before = { list: requests('sessions.list'), counts: countQueries.mock.calls.length };
      const second = await get('/api/sessions/stats');
      expect(first.status).toBe(200);
      expect(second.body).toEqual(first.body);
      // Within the TTL: neither the session-worker nor the database was asked again.
      expect({ list: requests('sessions.list'), counts: countQueries.mock.calls.length }).toEqual(before);
      if (cachePlug?.rawEntry) expect(await cachePlug.rawEntry(CacheKeys.sessionsStats())).toContain(a);

      type Entry = { id: string; status: string; messages: Record<string, number> };
      const entry = (body: { sessions: Entry[] }, id: string) => body.sessions.find((s) => s.id === id);
      const ofA = { id: a, name: 'stats-a', status: 'ready', messages: { incoming: 1, outgoing: 3, failed: 1, pending: 0 } };
      expect(entry(first.body, a)).toEqual(ofA);
      expect(entry(first.body, b)).toEqual({ id: b, name: 'stats-b', status: 'ready', messages: { incoming: 2, outgoing: 2, failed: 0, pending: 1 } });
      expect(Date.parse(first.body.generatedAt) - Date.parse(first.body.since)).toBe(24 * 3_600_000);
      const sessions = first.body.sessions as Entry[];
      const sum = (key: string) => sessions.reduce((total, s) => total + s.messages[key], 0);
      expect(first.body.totals).toMatchObject({
        sessions: sessions.length,
        byStatus: { ready: sessions.filter((s) => s.status === 'ready').length },
        messages: { incoming: sum('incoming'), outgoing: sum('outgoing'), failed: sum('failed'), pending: sum('pending') },
      });

      // A key of session a alone: 200 (not 403: "stats" is no session id), a's entry and totals of a alone, from the same document.
      const scopedKey = (await call(stack, 'POST', '/api/keys', { name: 'stats-viewer', role: 'viewer', sessionIds: [a] })).body.key as string;
      const scoped = await callWithKey(stack.base, scopedKey, 'GET', '/api/sessions/stats');
      expect(scoped.status).toBe(200);
      expect(scoped.body).toEqual({
        generatedAt: first.body.generatedAt,
        since: first.body.since,
        totals: { sessions: 1, byStatus: expect.objectContaining({ ready: 1, qr_ready: 0 }), messages: ofA.messages },
        sessions: [ofA],
      });
      expect(countQueries.mock.calls.length).toBe(before.counts);

      // A session made past this gateway: its session.created drops the stats far within their TTL (15 s).
      const elsewhere = await stack.bus.request('sessions.create', { name: 'stats-elsewhere', start: false });
      await waitFor('the new session in the stats', async () => !!entry((await get('/api/sessions/stats')).body, elsewhere.id), { timeoutMs: 2_000 });
      expect(countQueries.mock.calls.length).toBeGreaterThan(before.counts);
      // A stop through this gateway: its caller sees it in the stats at once.
      expect((await call(stack, 'POST', `/api/sessions/${b}/stop`)).status).toBe(200);
      expect(entry((await get('/api/sessions/stats')).body, b)).toMatchObject({ status: 'stopped', messages: { incoming: 2, outgoing: 2 } });
    });

    it('keeps webhook fan-out flowing past the session.deleted of a session whose webhooks went with it', async ({ skip }) => {
      if (!stack) return skip();
      const receiver = new WebhookReceiver({ verifySignatures: false });
      await receiver.start();
      try {
        const [doomed, survivor] = [
          await stack.bus.request('sessions.create', { name: 'doomed', start: false }),
          await stack.bus.request('sessions.create', { name: 'survivor', start: false }),
        ];
        for (const { id } of [doomed, survivor]) {
          expect((await call(stack, 'POST', `/api/sessions/${id}/webhooks`, { url: receiver.url, events: ['*'] })).status).toBe(201);
        }
        const received = (sessionId: string) => stack!.bus.publishEvent({ id: randomUUID(), type: 'message.received', version: EVENT_ENVELOPE_VERSION, sessionId, occurredAt: new Date().toISOString(), data: {} });
        // Fan-out now holds the doomed session's webhook in its short-lived directory when the delete comes.
        await received(doomed.id);
        await waitFor('the doomed session delivered to', () => receiver.events().some((e) => e.sessionId === doomed.id));

        await stack.bus.request('sessions.delete', { id: doomed.id });
        await received(survivor.id);
        await waitFor('the next event delivered', () => receiver.events().some((e) => e.sessionId === survivor.id), { timeoutMs: 10_000 });
        expect(receiver.events().filter((e) => e.type === 'session.deleted')).toEqual([]);
      } finally {
        await receiver.stop();
      }
    });
  });
}

sessionCacheSuite('session read caches: memory plug', async () => ({ env: { REDIS_ENABLED: 'false' }, close: async () => undefined }));

sessionCacheSuite('session read caches: Redis plug', async () => {
  if (!(await backendReachable('Redis', testBackends.redisUrl))) return undefined;
  const { hostname, port } = new URL(testBackends.redisUrl);
  const prefix = uniqueName('pbcache').replace(/-/g, '_');
  const cacheDb = new URL(testBackends.redisUrl);
  cacheDb.pathname = '/1';
  const raw = new Redis(cacheDb.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  return {
    // The cache's keys sit under QUEUE_PREFIX, so this run shares the server with no one.
    env: { REDIS_ENABLED: 'true', REDIS_HOST: hostname, REDIS_PORT: port || '6379', REDIS_CACHE_DB: '1', QUEUE_PREFIX: prefix },
    rawEntry: (key) => raw.get(`${prefix}:cache:${key}`),
    close: async () => {
      raw.disconnect();
      await deleteRedisKeys(`${prefix}:*`, cacheDb.toString());
    },
  };
});
