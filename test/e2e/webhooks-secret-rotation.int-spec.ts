import { randomUUID } from 'node:crypto';
import { EVENT_ENVELOPE_VERSION } from '@plugboard/contracts';
import { waitFor } from '@plugboard/testing';
import { type EmbeddedStack, STACK_KEY, call, startEmbeddedStack } from './support/embedded-stack';
import { call as callWithKey } from './support/sessions-http';
import { type ReceivedWebhook, WebhookReceiver, signatureWith } from './support/webhook-receiver';

type Received = ReceivedWebhook<{ id: string; type: string; sessionId: string; data: Record<string, unknown> }>;

const ERROR = (status: number, code: string) => ({ status, body: { error: { code, message: expect.any(String) } } });

// Gateway and session-worker in this process (memory bus and queue, SQLite): rotation as a receiver sees it.
describe('webhooks: signing secret rotation (embedded plugs)', () => {
  const receiver = new WebhookReceiver();
  let stack: EmbeddedStack;
  let sessionId: string;
  let webhookId: string;
  /** Every secret the webhook has had, by name, so a signature can be traced to the one that made it. */
  const secrets: Record<string, string> = {};

  /** The names of the secrets that made each entry of the request's `webhook-signature`, in order. */
  const signers = ({ webhookId: id, signed }: Received) =>
    signed.signature.split(' ').map((entry) => Object.keys(secrets).find((name) => signatureWith(secrets[name], id, signed.timestamp, signed.body) === entry) ?? '?');

  /** Publishes an event of the session and waits until the receiver accepted its delivery. */
  const delivered = async (): Promise<Received> => {
    const id = randomUUID();
    await stack.bus.publishEvent({ id, type: 'message.received', version: EVENT_ENVELOPE_VERSION, sessionId, occurredAt: new Date().toISOString(), data: {} });
    await waitFor(`delivery of event ${id}`, () => receiver.received.some((r) => r.event.id === id), { timeoutMs: 20_000, intervalMs: 20 });
    return receiver.received.find((r) => r.event.id === id)!;
  };

  /** A `POST /api/webhooks/:id/test`, answered 2xx by the receiver, as it received it. */
  const tested = async (): Promise<Received> => {
    const reply = await call(stack, 'POST', `/api/webhooks/${webhookId}/test`);
    expect(reply).toMatchObject({ status: 200, body: { statusCode: 200, error: null } });
    return receiver.received.find((r) => r.webhookId === reply.body.id)!;
  };

  const rotate = (body?: unknown, key = STACK_KEY, id = webhookId) =>
    callWithKey(stack.base, key, 'POST', `/api/webhooks/${id}/secret/rotate`, { body, timeoutMs: 10_000 });

  beforeAll(async () => {
    await receiver.start();
    stack = await startEmbeddedStack({ REDIS_ENABLED: 'false', DATABASE_TYPE: 'sqlite', RATE_LIMIT_ENABLED: 'false', SSRF_ALLOWED_HOSTS: '127.0.0.1' });
    await stack.database.connector.whenReady();
    sessionId = (await stack.database.sessions.create({ name: 'secret-rotation', engine: 'simulator' })).id;
    const created = await call(stack, 'POST', `/api/sessions/${sessionId}/webhooks`, { url: receiver.url, events: ['message.received'] });
    expect(created.status).toBe(201);
    webhookId = created.body.id;
    secrets.first = receiver.secret = created.body.secret;
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await receiver.stop();
  });

  it('signs with the new and the old secret during the grace period, and stops using the old one after it', async () => {
    expect(signers(await delivered())).toEqual(['first']);

    const before = Date.now();
    const rotated = await rotate();
    expect(rotated).toMatchObject({ status: 200, body: { id: webhookId, secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/) } });
    expect(Object.keys(rotated.body).sort()).toEqual(['id', 'previousSecretExpiresAt', 'secret']);
    // The default grace: a day.
    const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 86_400_000 - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000 + 1_000);
    secrets.second = receiver.secret = rotated.body.secret;
    // The secret is never shown again.
    expect(JSON.stringify((await call(stack, 'GET', `/api/webhooks/${webhookId}`)).body)).not.toContain('whsec_');

    // A real delivery and a test POST: the new secret first, then the old one, both valid.
    expect(signers(await delivered())).toEqual(['second', 'first']);
    expect(signers(await tested())).toEqual(['second', 'first']);

    // Again, with a given secret and a second of grace: only the last two secrets sign.
    secrets.third = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    const again = await rotate({ secret: secrets.third, graceSeconds: 1 });
    expect(again).toMatchObject({ status: 200, body: { id: webhookId, secret: secrets.third } });
    receiver.secret = secrets.third;
    const graceEnds = Date.parse(again.body.previousSecretExpiresAt);
    const during = await tested();
    expect(Number(during.signed.timestamp) * 1000).toBeLessThan(graceEnds);
    expect(signers(during)).toEqual(['third', 'second']);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, graceEnds - Date.now()) + 50));
    expect(signers(await delivered())).toEqual(['third']);
    expect(signers(await tested())).toEqual(['third']);

    // No grace at all: the old secret stops at once.
    const abrupt = await rotate({ graceSeconds: 0 });
    expect(abrupt).toMatchObject({ status: 200, body: { previousSecretExpiresAt: null } });
    secrets.fourth = receiver.secret = abrupt.body.secret;
    expect(signers(await delivered())).toEqual(['fourth']);
    expect(receiver.badSignatures).toEqual([]);
  }, 60_000);

  it('audits each rotation as webhook.secret.rotated, never with a secret', async () => {
    const { status, body } = await call(stack, 'GET', '/api/audit?action=webhook.secret.rotated');
    expect(status).toBe(200);
    const items = body.items as { target: string; actorName: string | null; details: Record<string, unknown> }[];
    expect(items.map((entry) => [entry.target, entry.details.generated, entry.details.graceSeconds])).toEqual([
      [webhookId, true, 0],
      [webhookId, false, 1],
      [webhookId, true, 86_400],
    ]);
    expect(items[0].details).toEqual({ sessionId, generated: true, graceSeconds: 0, previousSecretExpiresAt: null });
    const written = JSON.stringify(items);
    for (const secret of Object.values(secrets)) expect(written).not.toContain(secret.slice('whsec_'.length));
  });

  it('refuses a viewer (403), a key of another session (403), an unknown webhook (404) and bad input (400), changing nothing', async () => {
    const other = (await stack.database.sessions.create({ name: 'secret-rotation-other', engine: 'simulator' })).id;
    const key = async (body: Record<string, unknown>) => {
      const created = await call(stack, 'POST', '/api/keys', body);
      expect(created.status).toBe(201);
      return created.body.key as string;
    };
    const viewer = await key({ name: 'rotation-viewer', role: 'viewer' });
    const otherSession = await key({ name: 'rotation-other-session', role: 'operator', sessionIds: [other] });
    const ownSession = await key({ name: 'rotation-own-session', role: 'operator', sessionIds: [sessionId] });
    const current = receiver.secret;

    expect(await rotate({}, viewer)).toMatchObject(ERROR(403, 'FORBIDDEN'));
    expect(await rotate({}, otherSession)).toMatchObject(ERROR(403, 'FORBIDDEN'));
    expect(await rotate({}, STACK_KEY, randomUUID())).toMatchObject(ERROR(404, 'NOT_FOUND'));
    const invalid = [
      { secret: 'not-a-secret' },
      { secret: `whsec_${Buffer.alloc(16).toString('base64')}` },
      { secret: current },
      { graceSeconds: -1 },
      { graceSeconds: 604_801 },
      { graceSeconds: 2.5 },
      { grace: 60 },
    ];
    for (const body of invalid) {
      const reply = await rotate(body);
      expect(reply, JSON.stringify(body)).toMatchObject(ERROR(400, 'VALIDATION_FAILED'));
    }
    expect((await rotate({ graceSeconds: 'soon' })).body.error.details.issues).toEqual([{ path: 'graceSeconds', message: expect.any(String) }]);
    // Still signed with the current secret alone.
    expect(signers(await delivered())).toEqual(['fourth']);

    // A key of the webhook's own session may rotate it.
    const own = await rotate({ graceSeconds: 60 }, ownSession);
    expect(own.status).toBe(200);
    secrets.fifth = receiver.secret = own.body.secret;
    expect(signers(await delivered())).toEqual(['fifth', 'fourth']);
  }, 60_000);

  it('is in the OpenAPI document with its body and answer', async () => {
    const { body: doc } = await call(stack, 'GET', '/api/docs-json');
    const operation = doc.paths['/api/webhooks/{id}/secret/rotate']?.post;
    expect(operation?.tags).toEqual(['webhooks']);
    expect(operation.requestBody.content['application/json'].schema).toMatchObject({ properties: { secret: expect.any(Object), graceSeconds: expect.any(Object) } });
    expect(operation.responses['200'].content['application/json'].schema).toMatchObject({ required: ['id', 'secret', 'previousSecretExpiresAt'] });
  });
});
