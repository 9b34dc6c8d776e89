import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCHEMA_VERSION } from '@plugboard/database';
import { backendReachable, freePort, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { buildOnce } from './support/build';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { plugboard } from './support/plugboard-cli';
import { ServiceProcess, getJson, killAll, startService } from './support/service-process';
import { call } from './support/sessions-http';

const TTL_MS = 3_000;
const SESSIONS = 6;
const WORKERS = ['worker-a', 'worker-b'] as const;

interface View {
  id: string;
  status: string;
  owner: string | null;
}

// Two session-workers share 6 sessions; draining one hands all of its sessions to the other.
describe('draining a session-worker (NATS + PostgreSQL, separate processes)', () => {
  let reachable = false;
  const processes: ServiceProcess[] = [];
  const workers = new Map<string, ServiceProcess>();
  const tag = uniqueName('pbdrain').replace(/-/g, '_');
  const key = `pb_${tag}_admin-key-of-this-run`;
  let base: string;
  let backends: IsolatedBackends | undefined;

  const http = (method: string, path: string, body?: unknown) => call(base, key, method, path, body === undefined ? {} : { body });
  const list = async () => (await http('GET', '/api/sessions')).body.sessions as View[];

  beforeAll(async () => {
    reachable = (await backendReachable('NATS', testBackends.natsUrl)) && (await backendReachable('PostgreSQL', testBackends.databaseUrl));
    if (!reachable) return;
    await buildOnce();
    backends = await isolateBackends({ tag, queue: 'memory', database: 'pb_drain_test' });
    const cwd = mkdtempSync(join(tmpdir(), 'pb-drain-'));
    const env: Record<string, string> = {
      ...backends.env,
      HOST: '127.0.0.1',
      DATA_DIR: join(cwd, 'data'),
      API_MASTER_KEY: key,
      ENGINE_TYPE: 'simulator',
      SIMULATOR_AUTO_PAIR_MS: '200',
      SIMULATOR_QR_ROTATE_MS: '60000',
      SESSION_LEASE_TTL_MS: String(TTL_MS),
      SESSION_START_STAGGER_MS: '20',
      HEALTH_TIMEOUT_MS: '500',
      EXPECTED_SERVICES: 'gateway,session-worker,infra-admin',
    };
    const gatewayPort = await freePort();
    base = `http://127.0.0.1:${gatewayPort}`;
    processes.push(startService('infra-admin', { ...env, HTTP_PORT: String(await freePort()) }, cwd));
    for (const id of WORKERS) {
      const worker = startService('session-worker', { ...env, INSTANCE_ID: id, HTTP_PORT: String(await freePort()) }, cwd);
      workers.set(id, worker);
      processes.push(worker);
    }
    processes.push(startService('gateway', { ...env, PORT: String(gatewayPort) }, cwd));
    await waitFor(
      'both workers and infra-admin answering health',
      async () => {
        for (const p of processes) if (p.child.exitCode !== null) throw new Error(`${p.name} exited:\n${p.output()}`);
        const infra = await getJson<{ services: Record<string, { instances: unknown[] }> }>(`${base}/api/infra/status`, { 'x-api-key': key });
        return infra.body.services?.['session-worker']?.instances.length === 2 && infra.body.services?.['infra-admin']?.instances.length === 1;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  }, 240_000);

  afterAll(async () => {
    await killAll(processes);
    await backends?.cleanup();
  });

  it('moves every session of the drained worker to the other, which then gets every new one too', async ({ skip }) => {
    skip(!reachable, 'NATS or PostgreSQL unreachable');
    for (let i = 0; i < SESSIONS; i++) expect((await http('POST', '/api/sessions', { name: `drain-${i}` })).status).toBe(201);
    const spread = await waitFor(
      `all ${SESSIONS} sessions ready`,
      async () => {
        const sessions = await list();
        return sessions.length === SESSIONS && sessions.every((s) => s.status === 'ready' && s.owner) ? sessions : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const counts = Object.fromEntries(WORKERS.map((w) => [w, spread.filter((s) => s.owner === w).length]));
    console.log(`drain: sessions per worker before the drain: ${JSON.stringify(counts)}`);
    const drained = counts['worker-a'] >= counts['worker-b'] ? 'worker-a' : 'worker-b';
    const survivor = drained === 'worker-a' ? 'worker-b' : 'worker-a';
    const moved = spread.filter((s) => s.owner === drained).map((s) => s.id);

    const outputBefore = workers.get(drained)!.output().length;
    const reply = await http('POST', '/api/infra/drain', { instance: drained });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toEqual({ instanceId: drained, released: moved.length });

    await waitFor(
      `the ${moved.length} sessions of ${drained} ready on ${survivor}`,
      async () => {
        const sessions = new Map((await list()).map((s) => [s.id, s]));
        return moved.every((id) => sessions.get(id)?.status === 'ready' && sessions.get(id)?.owner === survivor);
      },
      { timeoutMs: 6 * TTL_MS, intervalMs: 100 },
    );

    // New sessions, and a stopped one started again, all land on the survivor.
    for (let i = 0; i < 2; i++) expect((await http('POST', '/api/sessions', { name: `after-drain-${i}` })).status).toBe(201);
    expect((await http('POST', `/api/sessions/${moved[0]}/stop`)).status).toBe(200);
    expect((await http('POST', `/api/sessions/${moved[0]}/start`)).status).toBeLessThan(300);
    await waitFor(
      `all ${SESSIONS + 2} sessions ready on ${survivor}`,
      async () => {
        const sessions = await list();
        return sessions.length === SESSIONS + 2 && sessions.every((s) => s.status === 'ready' && s.owner === survivor);
      },
      { timeoutMs: 6 * TTL_MS, intervalMs: 100 },
    );
    // Give the drained worker a full lease period in which a sweep would have claimed something.
    await new Promise((resolve) => setTimeout(resolve, TTL_MS));
    expect((await list()).every((s) => s.owner === survivor)).toBe(true);
    const afterDrain = workers.get(drained)!.output().slice(outputBefore);
    expect(afterDrain).not.toMatch(/claimed session/);
    expect(workers.get(drained)!.child.exitCode).toBeNull();

    const audit = await http('GET', '/api/audit?action=infra.drain');
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ target: drained, details: { released: moved.length } });
  }, 120_000);

  it('answers 404 with a code for an instance nobody runs, through the route and the CLI', async ({ skip }) => {
    skip(!reachable, 'NATS or PostgreSQL unreachable');
    const reply = await http('POST', '/api/infra/drain', { instance: 'worker-z' });
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('NOT_FOUND');
    const cli = await plugboard(['drain', 'worker-z', '--url', base, '--key', key], {});
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('NOT_FOUND');
  });

  it('`plugboard migrate` on PostgreSQL: infra-admin migrated at boot, so nothing is pending', async ({ skip }) => {
    skip(!reachable, 'NATS or PostgreSQL unreachable');
    const reply = await http('POST', '/api/infra/migrate');
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toEqual({ databaseType: 'postgres', schemaVersion: SCHEMA_VERSION, applied: [] });
    const cli = await plugboard(['migrate', '--url', base, '--key', key], {});
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout.trim()).toBe(`postgres: schema version ${SCHEMA_VERSION}; nothing to apply`);
  });
});
