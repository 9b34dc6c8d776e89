import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@plugboard/testing';
import { buildOnce } from './support/build';
import { ServiceProcess, getJson, killAll, startService } from './support/service-process';
import { waitForServices } from './support/services-up';

const SERVICES = ['gateway', 'session-worker', 'media-service', 'infra-admin'];

interface Summary {
  status: string;
  services: Record<string, string>;
}
interface Infra {
  status: string;
  services: Record<string, { status: string; instances: { service: string; sockets: { socket: string; plug: string }[] }[] }>;
}

// `npm start` as a user runs it: one process, in-process bus and queue, only the gateway on HTTP.
describe('embedded mode (npm start)', () => {
  const processes: ServiceProcess[] = [];
  let cwd: string;
  let dataDir: string;
  let base: string;
  let embedded: ServiceProcess;
  let secondsToHealthy: number;

  beforeAll(async () => {
    await buildOnce();
    cwd = mkdtempSync(join(tmpdir(), 'pb-embedded-'));
    dataDir = join(cwd, 'data');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const started = Date.now();
    embedded = startService('embedded', { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, HEALTH_TIMEOUT_MS: '300' }, cwd);
    processes.push(embedded);
    await waitForServices(
      'GET /health = ok with all four services',
      [embedded],
      async () => {
        const { body } = await getJson<Summary>(`${base}/health`);
        return body.status === 'ok' && SERVICES.every((s) => body.services[s] === 'up');
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    secondsToHealthy = (Date.now() - started) / 1000;
    console.log(`embedded: spawn to /health ok in ${secondsToHealthy.toFixed(2)} s`);
  }, 180_000);

  afterAll(() => killAll(processes));

  it('is healthy within 20 s of starting, listing all four services', async () => {
    expect(secondsToHealthy).toBeLessThan(20);
    const { status, body } = await getJson<Summary>(`${base}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', services: Object.fromEntries(SERVICES.map((s) => [s, 'up'])) });
  });

  it('generated the admin key into DATA_DIR/.api-key with mode 0600, printed it, and accepts it', async () => {
    const file = join(dataDir, '.api-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = readFileSync(file, 'utf8').trim();
    expect(key).toMatch(/^pb_[A-Za-z0-9_-]{43,}$/);
    expect(embedded.output()).toContain(key);

    for (const headers of [{ 'x-api-key': key }, { authorization: `Bearer ${key}` }] as Record<string, string>[]) {
      const { status, body } = await getJson<Infra>(`${base}/api/infra/status`, headers);
      expect(status).toBe(200);
      expect(Object.keys(body.services).sort()).toEqual([...SERVICES].sort());
      for (const service of SERVICES) {
        expect(body.services[service].instances).toHaveLength(1);
        expect(body.services[service].instances[0].sockets.map((s) => `${s.socket}:${s.plug}`)).toEqual(['bus:memory', 'queue:memory', 'database:sqlite', ...(service === 'gateway' ? ['cache:memory'] : []), ...(service === 'session-worker' ? ['engine:whatsapp-web.js'] : []), ...(service === 'media-service' ? ['files:local'] : [])]);
      }
    }
  });

  it('answers 401 UNAUTHORIZED without a key or with a wrong key, 400 for a key in the query string', async () => {
    const key = readFileSync(join(dataDir, '.api-key'), 'utf8').trim();
    for (const [url, headers] of [
      [`${base}/api/infra/status`, {}],
      [`${base}/api/infra/status`, { 'x-api-key': `${key}x` }],
      [`${base}/api/infra/status`, { authorization: 'Bearer nope' }],
    ] as const) {
      const { status, body } = await getJson(url, headers);
      expect(status).toBe(401);
      expect(body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
    // A key in the URL would end up in logs: refused outright, with a code saying to use the header.
    const inQuery = await getJson(`${base}/api/infra/status?api_key=${key}`);
    expect(inQuery).toEqual({ status: 400, body: { error: { code: 'API_KEY_IN_QUERY', message: expect.any(String) } } });
  });

  it('answers unknown routes with 404 NOT_FOUND in the one error shape', async () => {
    const { status, body } = await getJson(`${base}/no/such/route`);
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('serves liveness and readiness on the gateway port', async () => {
    await expect(getJson(`${base}/health/live`)).resolves.toMatchObject({ status: 200 });
    await expect(getJson(`${base}/health/ready`)).resolves.toMatchObject({ status: 200, body: { ready: true } });
  });

  it('exits 0 on SIGTERM', async () => {
    embedded.kill('SIGTERM');
    const { code } = await embedded.exited;
    expect(code, embedded.output()).toBe(0);
    expect(embedded.output()).toContain('shutdown complete');
  });
});

describe('a service started alone', () => {
  beforeAll(() => buildOnce(), 180_000);

  it('refuses BUS_TYPE=memory with a clear message and a non-zero exit', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pb-alone-'));
    const worker = startService('session-worker', { BUS_TYPE: 'memory', DATA_DIR: join(cwd, 'data') }, cwd);
    const { code } = await worker.exited;
    expect(code).not.toBe(0);
    expect(worker.output()).toContain('Set BUS_TYPE=nats and NATS_URL, or run all four with `npm start`');
  });
});
