import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendReachable, freePort, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { buildOnce } from './support/build';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { ServiceProcess, getJson, killAll, startService } from './support/service-process';
import { call } from './support/sessions-http';

const TTL_MS = 3_000;
const SESSIONS = 20;
const WORKERS = ['worker-a', 'worker-b'] as const;

interface View {
  id: string;
  status: string;
  owner: string | null;
}

interface Interval {
  worker: string;
  generation: number;
  from: number;
  to: number;
}

/**
 * Per session, the time spans each worker ran its engine session, from the workers' own
 * "engine started/stopped <id> gen <n> at <ms>" log lines; a killed worker's spans end at the kill.
 */
function engineIntervals(outputs: Record<string, string>, endOf: Record<string, number>): Map<string, Interval[]> {
  const bySession = new Map<string, Interval[]>();
  for (const [worker, output] of Object.entries(outputs)) {
    const open = new Map<string, Interval>();
    for (const match of output.matchAll(/engine (started|stopped) (\S+) gen (\d+) at (\d+)/g)) {
      const [, what, sessionId, generation, at] = match;
      const key = `${sessionId}#${generation}`;
      if (what === 'started' && !open.has(key)) {
        const interval = { worker, generation: Number(generation), from: Number(at), to: endOf[worker] };
        open.set(key, interval);
        bySession.set(sessionId, [...(bySession.get(sessionId) ?? []), interval]);
      } else if (what === 'stopped' && open.has(key)) {
        open.get(key)!.to = Number(at);
      }
    }
  }
  return bySession;
}

// Two session-workers share 20 sessions through leases; one is SIGKILLed and the other takes over.
describe('session failover between two session-workers (NATS + PostgreSQL)', () => {
  let reachable = false;
  const processes: ServiceProcess[] = [];
  const workers = new Map<string, ServiceProcess>();
  const tag = uniqueName('pbfail').replace(/-/g, '_');
  const key = `pb_${tag}_admin-key-of-this-run`;
  let base: string;
  let backends: IsolatedBackends | undefined;

  const http = (method: string, path: string, body?: unknown) => call(base, key, method, path, body === undefined ? {} : { body });
  const list = async () => (await http('GET', '/api/sessions')).body.sessions as View[];

  beforeAll(async () => {
    reachable =
      (await backendReachable('NATS', testBackends.natsUrl)) && (await backendReachable('PostgreSQL', testBackends.databaseUrl));
    if (!reachable) return;
    await buildOnce();
    backends = await isolateBackends({ tag, queue: 'memory', database: 'pb_failover_test' });
    const cwd = mkdtempSync(join(tmpdir(), 'pb-failover-'));
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
      'both workers answering health',
      async () => {
        for (const p of processes) if (p.child.exitCode !== null) throw new Error(`${p.name} exited:\n${p.output()}`);
        const infra = await getJson<{ services: Record<string, { instances: unknown[] }> }>(`${base}/api/infra/status`, { 'x-api-key': key });
        return infra.body.services?.['session-worker']?.instances.length === 2;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  }, 240_000);

  afterAll(async () => {
    await killAll(processes);
    await backends?.cleanup();
  });

  it('moves every session of a SIGKILLed worker to the other within 2 × TTL, never running one on two workers at once', async ({ skip }) => {
    skip(!reachable, 'NATS or PostgreSQL unreachable');
    for (let i = 0; i < SESSIONS; i++) {
      const created = await http('POST', '/api/sessions', { name: `failover-${i}` });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    // Let a few sweeps run so both workers hold some of the sessions.
    const spread = await waitFor(
      `all ${SESSIONS} sessions ready`,
      async () => {
        const sessions = await list();
        return sessions.length === SESSIONS && sessions.every((s) => s.status === 'ready' && s.owner) ? sessions : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const counts = Object.fromEntries(WORKERS.map((w) => [w, spread.filter((s) => s.owner === w).length]));
    console.log(`failover: sessions per worker before the kill: ${JSON.stringify(counts)}`);
    const victim = counts['worker-a'] >= counts['worker-b'] ? 'worker-a' : 'worker-b';
    const survivor = victim === 'worker-a' ? 'worker-b' : 'worker-a';
    const moved = spread.filter((s) => s.owner === victim).map((s) => s.id);
    expect(moved.length).toBeGreaterThan(0);

    const killedAt = Date.now();
    workers.get(victim)!.kill('SIGKILL');
    await workers.get(victim)!.exited;
    await waitFor(
      `the ${moved.length} sessions of ${victim} ready on ${survivor}`,
      async () => {
        const sessions = new Map((await list()).map((s) => [s.id, s]));
        return moved.every((id) => sessions.get(id)?.status === 'ready' && sessions.get(id)?.owner === survivor);
      },
      { timeoutMs: 6 * TTL_MS, intervalMs: 50 },
    );
    const takeoverMs = Date.now() - killedAt;
    console.log(`failover: ${moved.length} sessions ready on ${survivor} ${takeoverMs} ms after SIGKILL of ${victim} (TTL ${TTL_MS} ms)`);
    expect(takeoverMs).toBeLessThanOrEqual(2 * TTL_MS);

    const endOf = { [victim]: killedAt, [survivor]: Number.POSITIVE_INFINITY };
    // The rows say ready before the survivor's "engine started" lines may have come through its stdout pipe.
    const intervals = await waitFor(
      `${survivor}'s engine start lines for the moved sessions`,
      () => {
        const found = engineIntervals(Object.fromEntries(WORKERS.map((w) => [w, workers.get(w)!.output()])), endOf);
        const tookOver = (id: string) => {
          const spans = found.get(id) ?? [];
          const victimGeneration = Math.max(...spans.filter((s) => s.worker === victim).map((s) => s.generation));
          return spans.some((s) => s.worker === survivor && s.generation > victimGeneration);
        };
        return moved.every(tookOver) ? found : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(intervals.size).toBe(SESSIONS);
    let overlaps = 0;
    for (const [sessionId, spans] of intervals) {
      const sorted = [...spans].sort((x, y) => x.from - y.from);
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i].worker !== sorted[i - 1].worker && sorted[i].from < sorted[i - 1].to) {
          overlaps++;
          console.log(`failover: overlap on ${sessionId}: ${JSON.stringify(sorted)}`);
        }
      }
      if (moved.includes(sessionId)) {
        expect(sorted.at(-1)).toMatchObject({ worker: survivor });
        expect(sorted.at(-1)!.generation).toBeGreaterThan(sorted.find((s) => s.worker === victim)!.generation);
      }
    }
    expect(overlaps).toBe(0);
  }, 180_000);
});
