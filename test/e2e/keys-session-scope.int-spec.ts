import { randomUUID } from 'node:crypto';
import { GATEWAY_KEY, type GatewayStack, seedSession, startGatewayStack } from './support/gateway-stack';
import { type HttpReply, call } from './support/sessions-http';

const FORBIDDEN = { status: 403, body: { error: { code: 'FORBIDDEN', message: expect.any(String) } } };

/**
 * A key limited to session A reaches nothing of session B, also where B's things are reached
 * by their own ids (webhooks, media files), and cannot make sessions of its own.
 */
describe('a key scoped to some sessions, beyond the session routes (in-process gateway and media-service)', () => {
  let stack: GatewayStack;
  let a: string;
  let b: string;
  let scopedKey: string;
  const admin = (method: string, path: string, body?: unknown) => call(stack.base, GATEWAY_KEY, method, path, { body });
  const scoped = (method: string, path: string, body?: unknown) => call(stack.base, scopedKey, method, path, { body });

  beforeAll(async () => {
    // The webhooks point at a loopback port nobody listens on: nothing here is ever delivered.
    stack = await startGatewayStack({ SSRF_ALLOWED_HOSTS: '127.0.0.1' });
    [a, b] = [await seedSession(stack, 'scope-a'), await seedSession(stack, 'scope-b')];
    const created = await admin('POST', '/api/keys', { name: 'only-a', role: 'operator', sessionIds: [a] });
    expect(created.status).toBe(201);
    scopedKey = created.body.key;
  }, 60_000);
  afterAll(() => stack?.close());

  it('may not create sessions', async () => {
    expect(await scoped('POST', '/api/sessions', { name: 'mine' })).toMatchObject(FORBIDDEN);
  });

  it("reaches the webhooks of its session and none of the other's", async () => {
    const hook = (session: string) => ({ url: `http://127.0.0.1:9/${session}`, events: ['*'] });
    const [onA, onB] = [await admin('POST', `/api/sessions/${a}/webhooks`, hook(a)), await admin('POST', `/api/sessions/${b}/webhooks`, hook(b))];
    expect([onA.status, onB.status]).toEqual([201, 201]);
    const other = onB.body.id as string;

    const refused: HttpReply[] = [
      await scoped('GET', `/api/sessions/${b}/webhooks`),
      await scoped('GET', `/api/webhooks/${other}`),
      await scoped('PUT', `/api/webhooks/${other}`, { url: 'http://127.0.0.1:9/taken' }),
      await scoped('POST', `/api/webhooks/${other}/test`),
      await scoped('GET', `/api/webhooks/${other}/deliveries`),
      await scoped('POST', `/api/webhooks/${other}/deliveries/${randomUUID()}/redeliver`),
      await scoped('DELETE', `/api/webhooks/${other}`),
    ];
    for (const reply of refused) expect(reply).toMatchObject(FORBIDDEN);
    // Untouched: still there with its URL.
    expect((await admin('GET', `/api/webhooks/${other}`)).body).toMatchObject({ sessionId: b, url: `http://127.0.0.1:9/${b}` });

    expect(await scoped('GET', `/api/webhooks/${onA.body.id}`)).toMatchObject({ status: 200, body: { sessionId: a } });
    expect(await scoped('PUT', `/api/webhooks/${onA.body.id}`, { active: false })).toMatchObject({ status: 200, body: { active: false } });
    expect((await scoped('GET', `/api/sessions/${a}/webhooks`)).status).toBe(200);
  });

  it("uploads and lists only under its session, and reaches only that session's files", async () => {
    const upload = (key: string, query: string) =>
      fetch(`${stack.base}/api/media${query}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'text/plain' }, body: `file ${query}` });
    expect((await upload(scopedKey, '')).status).toBe(403);
    expect((await upload(scopedKey, `?sessionId=${b}`)).status).toBe(403);
    const mine = await upload(scopedKey, `?sessionId=${a}`);
    expect(mine.status).toBe(201);
    const mineId = ((await mine.json()) as { id: string }).id;
    const theirs = await upload(GATEWAY_KEY, `?sessionId=${b}`);
    const theirsId = ((await theirs.json()) as { id: string }).id;
    const unowned = await upload(GATEWAY_KEY, '');
    const unownedId = ((await unowned.json()) as { id: string }).id;

    expect(await scoped('GET', '/api/media')).toMatchObject(FORBIDDEN);
    expect(await scoped('GET', `/api/media?sessionId=${b}`)).toMatchObject(FORBIDDEN);
    const listed = await scoped('GET', `/api/media?sessionId=${a}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([mineId]);

    const image = (mediaId: string) => ({ to: '15551230001', type: 'image', mediaId });
    for (const id of [theirsId, unownedId]) {
      expect(await scoped('GET', `/api/media/${id}`)).toMatchObject(FORBIDDEN);
      expect(await scoped('DELETE', `/api/media/${id}`)).toMatchObject(FORBIDDEN);
      // Nor sent through its own session, single or bulk.
      expect(await scoped('POST', `/api/sessions/${a}/messages`, image(id))).toMatchObject(FORBIDDEN);
      expect(await scoped('POST', `/api/sessions/${a}/messages/bulk`, { messages: [image(mineId), image(id)] })).toMatchObject(FORBIDDEN);
      expect((await admin('GET', `/api/media/${id}`)).status).toBe(200);
    }
    expect(await scoped('POST', `/api/sessions/${a}/messages`, image(mineId))).toMatchObject({ status: 202, body: { status: 'pending' } });
    expect((await admin('POST', `/api/sessions/${a}/messages`, image(theirsId))).status).toBe(202);
    expect((await scoped('GET', `/api/media/${mineId}`)).bytes.toString()).toBe(`file ?sessionId=${a}`);
    expect((await scoped('DELETE', `/api/media/${mineId}`)).status).toBe(200);
    expect((await scoped('GET', `/api/media/${randomUUID()}`)).status).toBe(404);
  });
});
