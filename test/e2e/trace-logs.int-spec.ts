import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, uniqueName, waitFor } from '@plugboard/testing';
import { buildWhenReachable } from './support/build';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { type ServiceProcess, killAll, startService } from './support/service-process';
import { infraServices, waitForServices } from './support/services-up';
import { call } from './support/sessions-http';
import { WebhookReceiver } from './support/webhook-receiver';

const UNREACHABLE = 'NATS, Redis or PostgreSQL unreachable';

interface LogLine {
  time: string;
  level: string;
  service: string;
  instance: string;
  msg: string;
  traceId?: string;
  spanId?: string;
  requestId?: string;
  sessionId?: string;
}

/** Every JSON log line of a process; anything else it printed is returned apart. */
function logLines(process: ServiceProcess): { lines: LogLine[]; other: string[] } {
  const lines: LogLine[] = [];
  const other: string[] = [];
  for (const text of process.output().split('\n')) {
    if (!text.trim()) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      other.push(text);
    }
  }
  return { lines, other };
}

const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];

// Gateway, session-worker and infra-admin as separate processes on NATS + BullMQ + PostgreSQL,
// the simulator engine, and a webhook receiver: one send is followed through all of them by its trace id.
describe('one trace id follows a send through the logs of every service (NATS + BullMQ + PostgreSQL)', () => {
  let reachable = false;
  const tag = uniqueName('pbtrace').replace(/-/g, '_');
  const adminKey = `pb_${tag}_admin-key-of-this-run`;
  const secrets = { METRICS_TOKEN: `metrics-token-${tag}`, DATABASE_PASSWORD: `db-password-${tag}` };
  const processes = new Map<string, ServiceProcess>();
  // Answers 200 and keeps each delivery with its `traceparent`; the signatures are another suite's concern.
  const receiver = new WebhookReceiver({ verifySignatures: false });
  let backends: IsolatedBackends | undefined;
  let base: string;

  const http = (method: string, path: string, body?: unknown) => call(base, adminKey, method, path, body === undefined ? {} : { body });

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'Redis', 'PostgreSQL');
    if (!reachable) return;
    backends = await isolateBackends({ tag, queue: 'bullmq', database: 'pb_trace_logs_test' });
    await receiver.start();
    const cwd = mkdtempSync(join(tmpdir(), 'pb-trace-logs-'));
    const env: Record<string, string> = {
      ...backends.env,
      // The test database trusts local connections: the password is only there to be kept out of the logs.
      ...secrets,
      HOST: '127.0.0.1',
      DATA_DIR: join(cwd, 'data'),
      API_MASTER_KEY: adminKey,
      LOG_LEVEL: 'debug',
      ENGINE_TYPE: 'simulator',
      SIMULATOR_AUTO_PAIR_MS: '200',
      SIMULATOR_QR_ROTATE_MS: '60000',
      SEND_RATE_PER_MINUTE: '0',
      SSRF_ALLOWED_HOSTS: '127.0.0.1',
      HEALTH_TIMEOUT_MS: '500',
      EXPECTED_SERVICES: 'gateway,session-worker,infra-admin',
    };
    const gatewayPort = await freePort();
    base = `http://127.0.0.1:${gatewayPort}`;
    processes.set('infra-admin', startService('infra-admin', { ...env, HTTP_PORT: String(await freePort()) }, cwd));
    processes.set('session-worker', startService('session-worker', { ...env, HTTP_PORT: String(await freePort()) }, cwd));
    processes.set('gateway', startService('gateway', { ...env, PORT: String(gatewayPort) }, cwd));
    await waitForServices(
      'the three services answering health',
      processes.values(),
      async () => {
        const services = await infraServices(base, adminKey);
        return ['gateway', 'session-worker', 'infra-admin'].every((s) => (services[s]?.instances.length ?? 0) > 0);
      },
      { timeoutMs: 90_000 },
    );
  }, 240_000);

  afterAll(async () => {
    await killAll(processes.values());
    await receiver.stop();
    await backends?.cleanup();
  });

  it("puts the send's trace id in the gateway's, the session-worker's and the webhook's log lines", async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const gateway = processes.get('gateway')!;
    const worker = processes.get('session-worker')!;

    const created = await http('POST', '/api/sessions', { name: `trace-${tag}` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sessionId = (created.body as { id: string }).id;
    const hook = await http('POST', `/api/sessions/${sessionId}/webhooks`, { url: receiver.url, events: ['session.status', 'message.sent'] });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    await waitFor(
      'the session ready',
      async () => ((await http('GET', `/api/sessions/${sessionId}`)).body as { status?: string }).status === 'ready',
      { timeoutMs: 30_000, intervalMs: 100 },
    );

    // The caller starts the trace: the gateway continues an incoming traceparent.
    const traceId = randomBytes(16).toString('hex');
    const requestId = `req-${tag}`;
    const response = await fetch(`${base}/api/sessions/${sessionId}/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': adminKey,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        'x-request-id': requestId,
      },
      body: JSON.stringify({ to: '15551234567', type: 'text', text: `traced ${tag}` }),
      signal: AbortSignal.timeout(15_000),
    });
    expect(response.status, await response.clone().text()).toBe(202);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const { id: messageId } = (await response.json()) as { id: string };

    const delivery = await waitFor(
      'the message.sent webhook',
      () => receiver.received.find((d) => d.event.type === 'message.sent' && d.event.data.messageId === messageId),
      { timeoutMs: 60_000, intervalMs: 100 },
    ).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${worker.output().slice(-4_000)}`);
    });

    // The receiver sees the send's trace in the delivery's traceparent.
    expect(traceIdOf(delivery.traceparent)).toBe(traceId);
    // The gateway logged the request and the webhook delivery of the message.sent event under that trace.
    await waitFor('the delivery logged', () => logLines(gateway).lines.some((l) => l.msg.includes(`of event ${delivery.event.id}`)), { timeoutMs: 10_000 });
    const gatewayLines = logLines(gateway).lines.filter((l) => l.traceId === traceId);
    expect(gatewayLines.find((l) => l.msg.startsWith('POST /api/sessions/:id/messages 202'))).toMatchObject({ requestId, sessionId, service: 'gateway' });
    expect(gatewayLines.find((l) => l.msg.includes(`of event ${delivery.event.id}`)), 'webhook delivery line').toMatchObject({ service: 'gateway' });
    // The session-worker took the send job under the same trace.
    const workerLines = logLines(worker).lines.filter((l) => l.traceId === traceId);
    expect(workerLines.find((l) => l.msg.includes('queue messages-send: job')), 'send job line').toMatchObject({ service: 'session-worker', sessionId });
  });

  it('writes only JSON lines, and never a configured secret', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    // A request whose headers hold secrets: the access line must not repeat them.
    await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${secrets.METRICS_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    for (const process of processes.values()) {
      const { lines, other } = logLines(process);
      expect(other, `${process.name} printed non-JSON lines`).toEqual([]);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line, process.name).toMatchObject({ service: process.name, level: expect.any(String), msg: expect.any(String) });
        expect(Number.isNaN(Date.parse(line.time))).toBe(false);
      }
      for (const secret of [adminKey, ...Object.values(secrets)]) expect(process.output(), `${process.name} logged a secret`).not.toContain(secret);
    }
  });
});
