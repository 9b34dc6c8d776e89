import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freePort, uniqueName, waitFor } from '@plugboard/testing';
import { Client as MinioClient } from 'minio';
import { parsePrometheusText } from '../../libs/service-kit/src/metrics/__tests__/prometheus-text.parser';
import { buildWhenReachable } from './support/build';
import { chatOf, textOf } from './support/chat-traffic';
import { type DevDistributedScript, processAlive, startDevDistributed } from './support/dev-distributed-script';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { getJson } from './support/service-process';
import { call } from './support/sessions-http';
import { type SseClient, openSse } from './support/sse-client';
import { WebhookReceiver } from './support/webhook-receiver';

const SERVICES = ['gateway', 'session-worker', 'media-service', 'infra-admin'] as const;
const CHATS = 4;
const PER_CHAT = 5;
const TOTAL = CHATS * PER_CHAT;
const BULK = 10;
const MEDIA_BYTES = 5 * 1024 * 1024;
const SHUTDOWN_TIMEOUT_MS = 8_000;
const UNREACHABLE = 'NATS, Redis or PostgreSQL unreachable';

interface Infra {
  services: Record<string, { status: string; instances: { sockets: { socket: string; plug: string; status: string }[] }[] }>;
}
interface Envelope {
  id: string;
  type: string;
  sessionId: string;
  data: { messageId: string; ack?: string };
}

// `npm run dev:distributed` as a developer runs it: the script starts the four services and an
// s3rver on PostgreSQL, Redis and NATS; everything below goes through HTTP only.
describe('npm run dev:distributed: four processes on PostgreSQL, Redis, NATS and s3rver', () => {
  let reachable = false;
  const tag = uniqueName('pbdev').replace(/-/g, '_');
  const adminKey = `pb_${tag}_admin-key-for-this-run`;
  const receiver = new WebhookReceiver<Envelope>();
  let backends: IsolatedBackends | undefined;
  let script: DevDistributedScript | undefined;
  /** Every run of the script in this file, for the cleanup. */
  const runs: DevDistributedScript[] = [];
  let env: Record<string, string>;
  let sse: SseClient | undefined;
  let cwd: string;
  let base: string;
  let workerBase: string;
  let s3Port: number;
  let sessionId: string;
  const sentIds: string[] = [];

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked with expect(), shape by shape
  const api = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    call<T>(base, adminKey, method, path, { body, headers, timeoutMs: 30_000 });
  const infraStatus = () => getJson<Infra>(`${base}/api/infra/status`, { 'x-api-key': adminKey });
  const allSocketsUp = (infra: Infra) =>
    SERVICES.every((s) => infra.services?.[s]?.status === 'up' && infra.services[s].instances.every((i) => i.sockets.every((k) => k.status === 'up')));
  const tail = () => script?.output().slice(-6_000) ?? '';
  const startScript = async () => {
    script = startDevDistributed(env, cwd);
    runs.push(script);
    await waitFor(
      'all four services up with every socket up',
      async () => {
        if (script!.child.exitCode !== null) throw new Error(`the script exited (${script!.child.exitCode})`);
        return allSocketsUp((await infraStatus()).body);
      },
      // Five Node processes booting at once on a loaded 2-core machine can take a while.
      { timeoutMs: 120_000, intervalMs: 250 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${tail()}`);
    });
  };

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'Redis', 'PostgreSQL');
    if (!reachable) return;
    backends = await isolateBackends({ tag, queue: 'bullmq', redisCache: true, database: 'pb_dev_distributed_test' });
    cwd = mkdtempSync(join(tmpdir(), 'pb-dev-distributed-'));
    await receiver.start();
    const port = await freePort();
    const workerPort = await freePort();
    s3Port = await freePort();
    base = `http://127.0.0.1:${port}`;
    workerBase = `http://127.0.0.1:${workerPort}`;
    // No STORAGE_TYPE or S3_ENDPOINT: the script's own s3rver is part of what is tested.
    env = {
      ...backends.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DEV_SESSION_WORKER_PORT: String(workerPort),
      DEV_MEDIA_SERVICE_PORT: String(await freePort()),
      DEV_INFRA_ADMIN_PORT: String(await freePort()),
      DEV_S3_PORT: String(s3Port),
      DATA_DIR: join(cwd, 'data'),
      API_MASTER_KEY: adminKey,
      INTERNAL_TOKEN: `${tag}-internal-token`,
      ENGINE_TYPE: 'simulator',
      SIMULATOR_AUTO_PAIR_MS: '50',
      SIMULATOR_ACK_DELAY_MS: '5',
      SIMULATOR_QR_ROTATE_MS: '60000',
      SEND_RATE_PER_MINUTE: '0',
      SESSION_START_STAGGER_MS: '0',
      SSRF_ALLOWED_HOSTS: '127.0.0.1',
      RATE_LIMIT_ENABLED: 'false',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      LOG_LEVEL: 'warn',
    };
    const started = Date.now();
    await startScript();
    console.log(`dev:distributed: script start to every socket up in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  }, 240_000);

  afterAll(async () => {
    sse?.close();
    // Only after a failure is anything left: kill exactly the processes the script reported.
    for (const run of runs) {
      for (const pid of [run.child.pid, ...run.pids().values()]) if (pid && processAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    await receiver.stop();
    await backends?.cleanup();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('GET /health is ok with all four services; infra status shows postgres, redis, nats and s3 up', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const health = await getJson<{ status: string; services: Record<string, string> }>(`${base}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', services: Object.fromEntries(SERVICES.map((s) => [s, 'up'])) });

    const infra = await infraStatus();
    expect(infra.status).toBe(200);
    expect(Object.keys(infra.body.services).sort()).toEqual([...SERVICES].sort());
    const sockets = SERVICES.flatMap((s) => infra.body.services[s].instances.flatMap((i) => i.sockets.map((k) => ({ service: s, ...k }))));
    expect(sockets.filter((k) => k.status !== 'up')).toEqual([]);
    const plugs = new Set(sockets.map((k) => `${k.socket}:${k.plug}`));
    for (const plug of ['database:postgres', 'cache:redis', 'queue:bullmq', 'bus:nats', 'files:s3']) expect(plugs, plug).toContain(plug);
    for (const s of SERVICES) expect(infra.body.services[s].instances).toHaveLength(1);
  });

  it(`sends ${TOTAL} messages to ${CHATS} chats, one Idempotency-Key repeated: all read, history in order`, async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const created = await api<{ id: string }>('POST', '/api/sessions', { name: `dev-${tag}` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    sessionId = created.body.id;
    await waitFor('the session ready', async () => (await api('GET', `/api/sessions/${sessionId}/status`)).body?.status === 'ready', { timeoutMs: 30_000 });

    // Listeners first, so they see every event of the sends.
    const hook = await api<{ id: string; secret: string }>('POST', `/api/sessions/${sessionId}/webhooks`, {
      url: receiver.url,
      events: ['message.sent'],
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    receiver.secret = hook.body.secret;
    sse = await openSse(`${base}/api/events?sessionId=${sessionId}&types=message.ack`, { 'x-api-key': adminKey });
    expect(sse.status).toBe(200);
    await waitFor('the event stream open', () => sse!.frames.some((f) => f.comment === 'connected'));

    const idsByChat: string[][] = Array.from({ length: CHATS }, () => []);
    for (let n = 0; n < PER_CHAT; n++) {
      for (let chat = 0; chat < CHATS; chat++) {
        const body = { to: chatOf(chat), type: 'text', text: textOf(chat, n) };
        const keyed = chat === 0 && n === 0;
        const headers: Record<string, string> = keyed ? { 'idempotency-key': `${tag}-once` } : {};
        const sent = await api<{ id: string; status: string }>('POST', `/api/sessions/${sessionId}/messages`, body, headers);
        expect(sent.status, JSON.stringify(sent.body)).toBe(202);
        if (keyed) {
          const again = await api<{ id: string }>('POST', `/api/sessions/${sessionId}/messages`, body, headers);
          expect([200, 202]).toContain(again.status);
          expect(again.body.id).toBe(sent.body.id);
        }
        idsByChat[chat].push(sent.body.id);
        sentIds.push(sent.body.id);
      }
    }
    expect(new Set(sentIds).size).toBe(TOTAL);

    await waitFor(
      `${TOTAL} messages read`,
      async () => {
        const page = await api<{ items: { id: string }[] }>('GET', `/api/sessions/${sessionId}/messages?direction=outgoing&status=read&limit=100`);
        return page.body.items.length === TOTAL;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const all = await api<{ items: { id: string; status: string }[] }>('GET', `/api/sessions/${sessionId}/messages?direction=outgoing&limit=100`);
    expect(all.body.items).toHaveLength(TOTAL);
    // History is newest first: reversed, each chat's page is the request order.
    for (let chat = 0; chat < CHATS; chat++) {
      const page = await api<{ items: { id: string; body: string }[] }>('GET', `/api/sessions/${sessionId}/messages?chatId=${encodeURIComponent(chatOf(chat))}&limit=100`);
      expect(page.status).toBe(200);
      expect(page.body.items.map((m) => m.id).reverse(), `chat ${chat}`).toEqual(idsByChat[chat]);
      expect(page.body.items.map((m) => m.body).reverse()).toEqual(Array.from({ length: PER_CHAT }, (_, n) => textOf(chat, n)));
    }
  }, 120_000);

  it(`completes a bulk of ${BULK} spaced by 50 ms`, async ({ skip }) => {
    skip(!reachable || !sessionId, UNREACHABLE);
    const messages = Array.from({ length: BULK }, (_, i) => ({ to: chatOf(CHATS + (i % 2)), type: 'text', text: `bulk ${i}` }));
    const accepted = await api<{ batchId: string; total: number }>('POST', `/api/sessions/${sessionId}/messages/bulk`, { messages, delayMs: 50 });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect(accepted.body.total).toBe(BULK);
    const done = await waitFor(
      'the batch completed',
      async () => {
        const progress = await api<{ status: string }>('GET', `/api/sessions/${sessionId}/batches/${accepted.body.batchId}`);
        return progress.body?.status === 'completed' ? progress.body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(done).toMatchObject({ status: 'completed', total: BULK, sent: BULK, failed: 0, pending: 0 });
  }, 90_000);

  it('delivered message.sent to the webhook with valid signatures, and message.ack on the SSE stream', async ({ skip }) => {
    skip(!reachable || sentIds.length !== TOTAL, UNREACHABLE);
    await waitFor(
      `message.sent webhooks for the ${TOTAL} messages`,
      () => sentIds.every((id) => receiver.events().some((e) => e.type === 'message.sent' && e.data.messageId === id)),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(receiver.badSignatures).toEqual([]);
    expect(receiver.events().every((e) => e.type === 'message.sent' && e.sessionId === sessionId)).toBe(true);

    await waitFor(
      `read acks of the ${TOTAL} messages on /api/events`,
      () => {
        const read = new Set(sse!.events().map((f) => JSON.parse(f.data!) as Envelope).filter((e) => e.data.ack === 'read').map((e) => e.data.messageId));
        return sentIds.every((id) => read.has(id));
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(sse!.events().every((f) => f.event === 'message.ack')).toBe(true);
  }, 120_000);

  it('stores a 5 MiB upload in the s3rver and serves a range of it back', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const bytes = randomBytes(MEDIA_BYTES);
    const response = await fetch(`${base}/api/media?filename=five.bin`, {
      method: 'POST',
      headers: { 'x-api-key': adminKey, 'content-type': 'application/octet-stream' },
      body: bytes,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    expect(response.status, text).toBe(201);
    const record = JSON.parse(text) as { id: string; size: number; sha256: string };
    expect(record).toMatchObject({ size: MEDIA_BYTES, sha256: createHash('sha256').update(bytes).digest('hex') });

    // The object is in the script's s3rver, bucket `plugboard`, named after the media id.
    const s3 = new MinioClient({ endPoint: '127.0.0.1', port: s3Port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', pathStyle: true, region: 'us-east-1' });
    const names: string[] = [];
    for await (const item of s3.listObjects('plugboard', '', true) as AsyncIterable<{ name?: string }>) if (item.name) names.push(item.name);
    const name = names.find((n) => n.endsWith(record.id));
    expect(name, names.join(', ')).toBeDefined();
    expect((await s3.statObject('plugboard', name!)).size).toBe(MEDIA_BYTES);

    const part = await fetch(`${base}/api/media/${record.id}`, { headers: { 'x-api-key': adminKey, range: 'bytes=1048576-1049599' }, signal: AbortSignal.timeout(30_000) });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1048576-1049599/${MEDIA_BYTES}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1048576, 1049600))).toBe(true);
  }, 120_000);

  it("counts the sends on the session-worker's /metrics and exports them through infra-admin", async ({ skip }) => {
    skip(!reachable || sentIds.length !== TOTAL, UNREACHABLE);
    const metrics = await fetch(`${workerBase}/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect(metrics.status).toBe(200);
    const families = parsePrometheusText(await metrics.text());
    const sends = [...families.values()].flatMap((f) => f.samples).filter((s) => s.name === 'plugboard_messages_sent_total');
    expect(sends.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThanOrEqual(TOTAL);

    const exported = await fetch(`${base}/api/infra/export-data`, { headers: { 'x-api-key': adminKey }, signal: AbortSignal.timeout(60_000) });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toContain('application/gzip');
    const lines = gunzipSync(Buffer.from(await exported.arrayBuffer())).toString('utf8').split('\n').filter(Boolean);
    const header = JSON.parse(lines[0]) as { tables: Record<string, number> };
    expect(header.tables.messages).toBeGreaterThanOrEqual(TOTAL);
  }, 120_000);

  it('SIGTERM stops every process it started, s3rver included, and the script exits 0', async ({ skip }) => {
    skip(!reachable || !script, UNREACHABLE);
    const pids = new Map(script!.pids());
    expect([...pids.keys()].sort()).toEqual([...SERVICES, 's3rver'].sort());
    for (const [name, pid] of pids) expect(processAlive(pid), name).toBe(true);

    const stopping = Date.now();
    script!.child.kill('SIGTERM');
    // Bounded by the services' own drain budget, with room for a loaded machine.
    const exit = await waitFor('the script to exit', () => (script!.child.exitCode !== null || script!.child.signalCode !== null ? script!.exited : undefined), {
      timeoutMs: SHUTDOWN_TIMEOUT_MS + 10_000,
      intervalMs: 50,
    });
    console.log(`dev:distributed: SIGTERM to every process gone in ${((Date.now() - stopping) / 1000).toFixed(2)} s`);
    expect(exit, tail()).toEqual({ code: 0, signal: null });
    for (const [name, pid] of pids) expect(processAlive(pid), `${name} (pid ${pid}) left running`).toBe(false);
    for (const name of [...SERVICES, 's3rver']) expect(script!.output()).toMatch(new RegExp(`\\[dev\\]\\s+${name} stopped`));
  }, 60_000);

  it('plays the supervisor: restarts a service that exits 0 on request; a service that dies stops all, exit 1', async ({ skip }) => {
    skip(!reachable || !script || script.child.exitCode === null, UNREACHABLE);
    await startScript();
    const first = new Map(script!.pids());

    const restart = await api('POST', '/api/infra/restart', { services: ['media-service'] });
    expect(restart.status, JSON.stringify(restart.body)).toBe(202);
    await waitFor('media-service started again', () => script!.pids().get('media-service') !== first.get('media-service'), { timeoutMs: 30_000 });
    expect(script!.output()).toMatch(/\[dev\]\s+media-service exited 0 \(restart request\): starting it again/);
    await waitFor('every socket up again', async () => allSocketsUp((await infraStatus()).body), { timeoutMs: 60_000, intervalMs: 250 });
    const all = [...first.values(), ...script!.pids().values()];

    process.kill(script!.pids().get('session-worker')!, 'SIGKILL');
    const exit = await waitFor('the script to exit', () => (script!.child.exitCode !== null ? script!.exited : undefined), {
      timeoutMs: SHUTDOWN_TIMEOUT_MS + 10_000,
      intervalMs: 50,
    });
    expect(exit, tail()).toEqual({ code: 1, signal: null });
    expect(script!.output()).toMatch(/\[dev\]\s+session-worker died \(SIGKILL\): stopping the others/);
    for (const pid of all) expect(processAlive(pid), `pid ${pid} left running`).toBe(false);
  }, 240_000);
});
