import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplyEnvelopeSchema } from '@plugboard/contracts';
import { freePort, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { JSONCodec, connect } from 'nats';
import { buildWhenReachable } from './support/build';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { ServiceProcess, getJson, killAll, startService } from './support/service-process';
import { healthOk, waitForServices } from './support/services-up';

const SERVICES = ['gateway', 'session-worker', 'media-service', 'infra-admin'] as const;
type Service = (typeof SERVICES)[number];

interface Summary {
  status: string;
  services: Record<string, string>;
}
interface Infra {
  services: Record<string, { status: string; instances: { instanceId: string; sockets: { socket: string; plug: string }[] }[] }>;
}

const UNREACHABLE = 'NATS, Redis or PostgreSQL unreachable';
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(2);

// The four services as separate processes over the shared NATS and Redis, as docker-compose runs them.
describe('distributed mode (four processes on NATS + BullMQ + PostgreSQL)', () => {
  // Probed in beforeAll: skip when a backend is down, fail under CI=true (buildWhenReachable throws).
  let reachable = false;
  const running = new Map<Service, ServiceProcess>();
  const all: ServiceProcess[] = [];
  const tag = uniqueName('pbe2e').replace(/-/g, '_');
  const adminKey = `pb_${tag}_admin-key-for-this-run`;
  const ports = {} as Record<Service, number>;
  let cwd: string;
  let env: Record<string, string>;
  let base: string;
  let backends: IsolatedBackends | undefined;

  const start = (service: Service) => {
    const portVar = service === 'gateway' ? 'PORT' : 'HTTP_PORT';
    const child = startService(service, { ...env, [portVar]: String(ports[service]) }, cwd);
    running.set(service, child);
    all.push(child);
    return child;
  };
  const health = () => getJson<Summary>(`${base}/health`);

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'Redis', 'PostgreSQL');
    if (!reachable) return;
    // Isolates this run's subjects, events stream, queues and tables from anything else on the shared servers.
    backends = await isolateBackends({ tag, queue: 'bullmq', database: 'pb_distributed_test' });
    cwd = mkdtempSync(join(tmpdir(), 'pb-distributed-'));
    env = {
      ...backends.env,
      HOST: '127.0.0.1',
      DATA_DIR: join(cwd, 'data'),
      API_MASTER_KEY: adminKey,
      HEALTH_TIMEOUT_MS: '500',
      SHUTDOWN_TIMEOUT_MS: '8000',
    };
    for (const service of SERVICES) ports[service] = await freePort();
    base = `http://127.0.0.1:${ports.gateway}`;
    const started = Date.now();
    for (const service of SERVICES) start(service);
    // Four Node processes booting at once on a loaded 2-core machine can take a while.
    await waitForServices('GET /health = ok', running.values(), () => healthOk(base), { timeoutMs: 60_000 });
    console.log(`distributed: spawn of four processes to /health ok in ${seconds(started)} s`);
  }, 180_000);

  afterAll(async () => {
    await killAll(all);
    await backends?.cleanup();
  });

  it('lists every instance of all four services with their sockets', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const { status, body } = await getJson<Infra>(`${base}/api/infra/status`, { 'x-api-key': adminKey });
    expect(status).toBe(200);
    for (const service of SERVICES) {
      expect(body.services[service]?.status).toBe('up');
      expect(body.services[service].instances).toHaveLength(1);
      expect(body.services[service].instances[0].sockets.map((s) => `${s.socket}:${s.plug}`)).toEqual(['bus:nats', 'queue:bullmq', 'database:postgres', ...(service === 'media-service' ? ['files:local'] : []), ...(service === 'gateway' ? ['cache:memory'] : []), ...(service === 'session-worker' ? ['engine:whatsapp-web.js'] : [])]);
    }
    await expect(getJson(`${base}/api/infra/status`)).resolves.toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
  });

  it('answers a malformed health.ping with VALIDATION_FAILED and keeps answering', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const nc = await connect({ servers: testBackends.natsUrl });
    const json = JSONCodec();
    try {
      const bad = ReplyEnvelopeSchema.parse(json.decode((await nc.request(`${tag}.health.ping`, json.encode({ bogus: 1 }), { timeout: 2_000 })).data));
      expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      const good = ReplyEnvelopeSchema.parse(json.decode((await nc.request(`${tag}.health.ping`, json.encode({}), { timeout: 2_000 })).data));
      expect(good).toMatchObject({ ok: true });
    } finally {
      await nc.close();
    }
    expect((await health()).body.status).toBe('ok');
  });

  it('reports a killed media-service as down, and ok again once it is back, without restarting the gateway', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const gateway = running.get('gateway')!;
    running.get('media-service')!.kill('SIGKILL');
    await running.get('media-service')!.exited;
    const killed = Date.now();

    const down = await waitFor(
      'media-service reported down',
      async () => {
        const { status, body } = await health();
        return body.services['media-service'] === 'down' ? { status, body } : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    console.log(`distributed: SIGKILLed media-service reported down after ${seconds(killed)} s (HEALTH_TIMEOUT_MS=500)`);
    expect(['degraded', 'down']).toContain(down.body.status);
    const infra = await getJson<Infra>(`${base}/api/infra/status`, { 'x-api-key': adminKey });
    expect(infra.body.services['media-service']).toEqual({ status: 'down', instances: [] });

    const restarted = Date.now();
    start('media-service');
    await waitFor('/health ok again', async () => (await health()).body.status === 'ok', { timeoutMs: 30_000, intervalMs: 250 });
    console.log(`distributed: restarted media-service back to /health ok after ${seconds(restarted)} s`);
    expect(gateway.child.exitCode).toBeNull();
    expect(running.get('gateway')).toBe(gateway);
  });

  it('turns /health/ready to 503 while draining on SIGTERM, then exits 0', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const worker = running.get('session-worker')!;
    const ready = `http://127.0.0.1:${ports['session-worker']}/health/ready`;
    await expect(getJson(ready)).resolves.toMatchObject({ status: 200 });

    worker.kill('SIGTERM');
    const seen = await waitFor(
      'readiness 503 during the drain',
      async () => ((await getJson(ready)).status === 503 ? true : undefined),
      { timeoutMs: 5_000, intervalMs: 25 },
    );
    expect(seen).toBe(true);
    const { code } = await worker.exited;
    expect(code, worker.output()).toBe(0);
  });
});
