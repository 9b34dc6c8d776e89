import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestDatabase, backendReachable, createTestDatabase, freePort, testBackends, waitFor } from '@plugboard/testing';
import { buildOnce } from './support/build';
import { ServiceProcess, getJson, killAll, startService } from './support/service-process';
import { waitForServices } from './support/services-up';
import { call as callWithKey } from './support/sessions-http';

const ADMIN_KEY = 'pb_test-infra-config-admin-master-key';
const SERVICES = ['gateway', 'session-worker', 'media-service', 'infra-admin'];

interface Infra {
  services: Record<string, { instances: { sockets: { socket: string; plug: string; status: string }[] }[] }>;
}

// `npm start` on SQLite, switched to PostgreSQL through the admin API and restarted in place.
describe('infra config and restart (embedded, npm start)', () => {
  let reachable = false;
  const processes: ServiceProcess[] = [];
  let embedded: ServiceProcess;
  let database: TestDatabase | undefined;
  let base: string;
  let generatedFile: string;
  const keys: Record<'viewer' | 'operator', string> = { viewer: '', operator: '' };

  const call = (method: string, path: string, body?: unknown, key = ADMIN_KEY) => callWithKey(base, key, method, path, { body });
  const databasePlugs = async () => {
    const { body } = await getJson<Infra>(`${base}/api/infra/status`, { 'x-api-key': ADMIN_KEY });
    return SERVICES.map((service) => body.services[service]?.instances[0]?.sockets.find((s) => s.socket === 'database')?.plug ?? 'missing');
  };
  const healthy = async () => {
    const { body } = await getJson<{ status: string; services: Record<string, string> }>(`${base}/health`);
    return body.status === 'ok' && SERVICES.every((s) => body.services[s] === 'up');
  };

  beforeAll(async () => {
    reachable = await backendReachable('PostgreSQL', testBackends.databaseUrl);
    if (!reachable) return;
    await buildOnce();
    database = await createTestDatabase({ prefix: 'pb_infra_config_test' });
    const cwd = mkdtempSync(join(tmpdir(), 'pb-infra-config-'));
    generatedFile = join(cwd, 'data', '.env.generated');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // No DATABASE_* here: the database comes from the defaults (SQLite), later from .env.generated.
    embedded = startService(
      'embedded',
      { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(cwd, 'data'), API_MASTER_KEY: ADMIN_KEY, ENGINE_TYPE: 'simulator', HEALTH_TIMEOUT_MS: '500' },
      cwd,
    );
    processes.push(embedded);
    await waitForServices('GET /health = ok', [embedded], healthy, { timeoutMs: 30_000, intervalMs: 200 });
    for (const role of ['viewer', 'operator'] as const) {
      const created = await call('POST', '/api/keys', { name: role, role });
      expect(created.status).toBe(201);
      keys[role] = created.body.key;
    }
  }, 240_000);

  afterAll(async () => {
    await killAll(processes);
    await database?.drop();
  });

  it('403 for viewer and operator keys on every /api/infra config and restart route', async ({ skip }) => {
    skip(!reachable, 'PostgreSQL unreachable');
    for (const role of ['viewer', 'operator'] as const) {
      for (const [method, path, body] of [
        ['GET', '/api/infra/config', undefined],
        ['PUT', '/api/infra/config', { general: { LOG_LEVEL: 'debug' } }],
        ['POST', '/api/infra/restart', {}],
      ] as const) {
        const { status, body: reply } = await call(method, path, body, keys[role]);
        expect({ role, method, path, status, code: reply?.error?.code }).toEqual({ role, method, path, status: 403, code: 'FORBIDDEN' });
      }
    }
    expect(existsSync(generatedFile)).toBe(false);
  });

  it('shows the effective config per section, secrets masked, env-pinned keys listed', async ({ skip }) => {
    skip(!reachable, 'PostgreSQL unreachable');
    const { status, body } = await call('GET', '/api/infra/config');
    expect(status).toBe(200);
    expect(body.file).toBe(generatedFile);
    expect(body.sections.database).toMatchObject({ DATABASE_TYPE: 'sqlite', DATABASE_PASSWORDSet: false });
    expect(body.sections.general).toMatchObject({ API_MASTER_KEYSet: true, PORT: Number(new URL(base).port) });
    expect(JSON.stringify(body)).not.toContain(ADMIN_KEY);
    expect(body.envPinned).toEqual(expect.arrayContaining(['PORT', 'HOST', 'DATA_DIR', 'API_MASTER_KEY', 'ENGINE_TYPE']));
    expect(body.envPinned).not.toContain('DATABASE_TYPE');
  });

  it('switches to PostgreSQL through PUT /api/infra/config and POST /api/infra/restart: same process, back on PostgreSQL', async ({ skip }) => {
    skip(!reachable, 'PostgreSQL unreachable');
    const db = database!.config;
    const put = await call('PUT', '/api/infra/config', {
      database: {
        DATABASE_TYPE: 'postgres',
        DATABASE_HOST: db.DATABASE_HOST ?? '127.0.0.1',
        DATABASE_PORT: db.DATABASE_PORT,
        DATABASE_USERNAME: db.DATABASE_USERNAME ?? 'postgres',
        DATABASE_NAME: db.DATABASE_NAME,
      },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toEqual({
      written: true,
      file: generatedFile,
      changed: ['DATABASE_HOST', 'DATABASE_NAME', 'DATABASE_PORT', 'DATABASE_TYPE', 'DATABASE_USERNAME'],
      restartRequired: SERVICES,
      envPinned: [],
    });
    expect(statSync(generatedFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(generatedFile, 'utf8')).toMatch(/^# .*\nDATABASE_HOST=.*\nDATABASE_NAME=pb_infra_config_test\w+\nDATABASE_PORT=\d+\nDATABASE_TYPE=postgres\nDATABASE_USERNAME=\w+\n$/);
    const audit = await call('GET', '/api/audit?action=infra.config.changed');
    expect(audit.body.items[0]).toMatchObject({ action: 'infra.config.changed', target: generatedFile, details: { changed: put.body.changed, restartRequired: SERVICES } });
    expect(audit.body.items[0].details.values).toMatchObject({ DATABASE_TYPE: 'postgres' });
    // Usernames count as secrets: named in `changed`, never shown with their value.
    expect(audit.body.items[0].details.values).not.toHaveProperty('DATABASE_USERNAME');
    // Saved, not applied: still on SQLite until the restart.
    expect(await databasePlugs()).toEqual(SERVICES.map(() => 'sqlite'));

    const pid = embedded.child.pid;
    const restart = await call('POST', '/api/infra/restart', {});
    expect(restart.status, JSON.stringify(restart.body)).toBe(202);
    expect(restart.body).toMatchObject({ orchestrator: 'none', services: SERVICES });

    await waitFor('all four services on PostgreSQL', async () => (await databasePlugs()).every((plug) => plug === 'postgres'), { timeoutMs: 60_000, intervalMs: 250 });
    await waitForServices('GET /health = ok after the restart', [embedded], healthy, { timeoutMs: 30_000, intervalMs: 200 });
    expect(embedded.child.exitCode).toBeNull();
    expect(embedded.child.pid).toBe(pid);
    expect(embedded.output()).toContain('restarting in place');
    const { body: health } = await getJson<{ status: string }>(`${base}/health`);
    expect(health.status).toBe('ok');
  }, 120_000);

  it('refuses a value with a line break, unknown sections and keys with 400 listing each, and leaves the file byte-identical', async ({ skip }) => {
    skip(!reachable, 'PostgreSQL unreachable');
    const before = readFileSync(generatedFile);
    const newline = await call('PUT', '/api/infra/config', { general: { LOG_LEVEL: 'debug\nDATABASE_TYPE=sqlite' } });
    expect(newline.status).toBe(400);
    expect(newline.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { problems: [expect.objectContaining({ variable: 'LOG_LEVEL', message: expect.stringContaining('line break') })] } });

    const unknown = await call('PUT', '/api/infra/config', { nosuch: { A: '1' }, database: { NOT_A_KEY: 'x', BUS_TYPE: 'nats' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.problems.map((p: { variable: string }) => p.variable)).toEqual(['nosuch', 'NOT_A_KEY', 'BUS_TYPE']);

    const invalid = await call('PUT', '/api/infra/config', { database: { DATABASE_PORT: 'not-a-port' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.problems).toEqual([expect.objectContaining({ variable: 'DATABASE_PORT' })]);

    expect(readFileSync(generatedFile).equals(before)).toBe(true);
  });
});
