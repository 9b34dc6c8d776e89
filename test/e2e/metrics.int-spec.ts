import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, uniqueName, waitFor } from '@plugboard/testing';
import { type MetricFamily, parsePrometheusText, sampleValue } from '../../libs/service-kit/src/metrics/__tests__/prometheus-text.parser';
import { buildOnce, buildWhenReachable } from './support/build';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { ServiceProcess, getJson, killAll, startService } from './support/service-process';
import { healthOk, waitForServices } from './support/services-up';
import { call } from './support/sessions-http';

const SERVICES = ['gateway', 'session-worker', 'media-service', 'infra-admin'] as const;
type Service = (typeof SERVICES)[number];
const COUNT = 'plugboard_http_request_duration_seconds_count';
const SENDS = 'plugboard_messages_sent_total';
const UNREACHABLE = 'NATS, Redis or PostgreSQL unreachable';

/** GET /metrics, parsed strictly; fails on a non-200 or anything Prometheus would refuse. */
async function scrape(base: string, token?: string): Promise<Map<string, MetricFamily>> {
  const response = await fetch(`${base}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(text);
}

/** Process metrics come once per process, whatever the number of services in it. */
function expectProcessMetricsOnce(families: Map<string, MetricFamily>): void {
  for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
    expect(families.get(name)?.samples, name).toHaveLength(1);
  }
}

/** Every sample of the sends counter, summed over its labels (session, type…). */
function sendsCounted(families: Map<string, MetricFamily>): number | undefined {
  const samples = [...families.values()].flatMap((f) => f.samples).filter((s) => s.name === SENDS);
  return samples.length ? samples.reduce((sum, s) => sum + s.value, 0) : undefined;
}

/** Ten requests to a route move its request counter by exactly ten. */
async function expectTenRequestsCounted(base: string, service: Service, token?: string): Promise<void> {
  const labels = { service, route: '/health/live', method: 'GET', status: '200' };
  const before = sampleValue(await scrape(base, token), COUNT, labels) ?? 0;
  for (let i = 0; i < 10; i++) expect((await getJson(`${base}/health/live`)).status).toBe(200);
  expect(sampleValue(await scrape(base, token), COUNT, labels)).toBe(before + 10);
}

// The four services as separate processes (as docker-compose runs them), with METRICS_TOKEN set.
describe('GET /metrics of each service run alone (NATS + BullMQ + PostgreSQL)', () => {
  let reachable = false;
  const processes: ServiceProcess[] = [];
  const tag = uniqueName('pbmetrics').replace(/-/g, '_');
  const token = `metrics_${tag}_token`;
  const bases = {} as Record<Service, string>;
  const adminKey = `pb_${tag}_admin-key-for-this-run`;
  let backends: IsolatedBackends | undefined;

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'Redis', 'PostgreSQL');
    if (!reachable) return;
    backends = await isolateBackends({ tag, queue: 'bullmq', database: 'pb_metrics_test' });
    const cwd = mkdtempSync(join(tmpdir(), 'pb-metrics-'));
    const env: Record<string, string> = {
      ...backends.env,
      HOST: '127.0.0.1',
      DATA_DIR: join(cwd, 'data'),
      API_MASTER_KEY: adminKey,
      HEALTH_TIMEOUT_MS: '500',
      METRICS_TOKEN: token,
      // The sends test: a simulated phone that pairs at once, no pacing.
      ENGINE_TYPE: 'simulator',
      SIMULATOR_AUTO_PAIR_MS: '50',
      SIMULATOR_ACK_DELAY_MS: '5',
      SEND_RATE_PER_MINUTE: '0',
      SESSION_START_STAGGER_MS: '0',
    };
    for (const service of SERVICES) {
      const port = await freePort();
      bases[service] = `http://127.0.0.1:${port}`;
      processes.push(startService(service, { ...env, [service === 'gateway' ? 'PORT' : 'HTTP_PORT']: String(port) }, cwd));
    }
    await waitForServices('GET /health = ok', processes, () => healthOk(bases.gateway), { timeoutMs: 60_000 });
  }, 180_000);

  afterAll(async () => {
    await killAll(processes);
    await backends?.cleanup();
  });

  it.for(SERVICES)('%s: 401 without the token, then its own metrics, valid for Prometheus', async (service, { skip }) => {
    skip(!reachable, UNREACHABLE);
    const base = bases[service];
    for (const headers of [{}, { authorization: 'Bearer not-the-metrics-token' }] as Record<string, string>[]) {
      await expect(getJson(`${base}/metrics`, headers)).resolves.toEqual({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: expect.any(String) } } });
    }
    const families = await scrape(base, token);
    expectProcessMetricsOnce(families);
    for (const socket of ['bus', 'queue', 'database']) expect(sampleValue(families, 'plugboard_socket_up', { service, socket }), socket).toBe(1);
    expect(sampleValue(families, 'plugboard_socket_latency_seconds', { service, socket: 'bus' })).toBeGreaterThanOrEqual(0);
    // One process, one service: no other service's samples.
    expect(new Set(families.get('plugboard_socket_up')!.samples.map((s) => s.labels.service))).toEqual(new Set([service]));
    if (service === 'gateway') expect(sampleValue(families, 'plugboard_queue_jobs', { queue: 'messages-send', state: 'waiting' })).toBe(0);
    else expect(families.has('plugboard_queue_jobs')).toBe(false);
    if (service === 'session-worker') expect(sampleValue(families, 'plugboard_sessions', { state: 'ready' })).toBe(0);
    await expectTenRequestsCounted(base, service, token);
  });

  // After the per-service checks above, which expect no session yet.
  it('session-worker: ten messages sent move its sends counter by exactly ten', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const http = (method: string, path: string, body?: unknown) => call(bases.gateway, adminKey, method, path, body === undefined ? {} : { body });
    const created = await http('POST', '/api/sessions', { name: 'metrics-sends' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sessionId = created.body.id as string;
    await waitFor('the session ready', async () => (await http('GET', `/api/sessions/${sessionId}/status`)).body?.status === 'ready', { timeoutMs: 30_000 });

    // The counter may appear only with the first send: absent counts as zero.
    const before = sendsCounted(await scrape(bases['session-worker'], token)) ?? 0;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const sent = await http('POST', `/api/sessions/${sessionId}/messages`, { to: '15550001234', type: 'text', text: `metrics ${i}` });
      expect(sent.status, JSON.stringify(sent.body)).toBe(202);
      ids.push(sent.body.id as string);
    }
    await waitFor(
      'the ten messages read',
      async () => {
        for (const id of ids) if ((await http('GET', `/api/sessions/${sessionId}/messages/${id}`)).body?.status !== 'read') return false;
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    // Acks came after the sends: a counter that moved on acks too would show it now.
    expect(sendsCounted(await scrape(bases['session-worker'], token)), `${SENDS} on the session-worker's /metrics`).toBe(before + 10);
  }, 120_000);
});

// `npm start`: four services in one process, only the gateway on HTTP, /metrics open (no token).
describe('GET /metrics in embedded mode', () => {
  const processes: ServiceProcess[] = [];
  let base: string;

  beforeAll(async () => {
    await buildOnce();
    const cwd = mkdtempSync(join(tmpdir(), 'pb-metrics-embedded-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const embedded = startService('embedded', { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(cwd, 'data'), HEALTH_TIMEOUT_MS: '300' }, cwd);
    processes.push(embedded);
    await waitForServices('GET /health = ok', [embedded], () => healthOk(base), { timeoutMs: 30_000, intervalMs: 200 });
  }, 180_000);

  afterAll(() => killAll(processes));

  it("serves all four services' metrics on the gateway, each family once, process metrics once", async () => {
    const families = await scrape(base);
    expectProcessMetricsOnce(families);
    for (const service of SERVICES) {
      for (const socket of ['bus', 'queue', 'database']) expect(sampleValue(families, 'plugboard_socket_up', { service, socket }), `${service} ${socket}`).toBe(1);
    }
    expect(sampleValue(families, 'plugboard_sessions', { service: 'session-worker', state: 'ready' })).toBe(0);
    // Shared state reported once, not four times.
    expect(new Set(families.get('plugboard_queue_jobs')!.samples.map((s) => s.labels.service))).toEqual(new Set(['gateway']));
    await expectTenRequestsCounted(base, 'gateway');
  });
});
