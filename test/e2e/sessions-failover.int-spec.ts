import { uniqueName, waitFor } from '@plugboard/testing';
import { buildWhenReachable } from './support/build';
import { LEASE_WORKERS as WORKERS, startLeaseStack, waitSpread, waitTakenOver } from './support/lease-stack';
import type { ProcessStack } from './support/process-stack';
import { call } from './support/sessions-http';

const TTL_MS = 3_000;
const SESSIONS = 20;

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
  let stack: ProcessStack | undefined;
  const tag = uniqueName('pbfail').replace(/-/g, '_');

  const http = (method: string, path: string, body?: unknown) => call(stack!.base, stack!.key, method, path, body === undefined ? {} : { body });

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'PostgreSQL');
    if (!reachable) return;
    stack = await startLeaseStack({ tag, database: 'pb_failover_test', ttlMs: TTL_MS });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('moves every session of a SIGKILLed worker to the other within 2 × TTL, never running one on two workers at once', async ({ skip }) => {
    skip(!reachable, 'NATS or PostgreSQL unreachable');
    for (let i = 0; i < SESSIONS; i++) {
      const created = await http('POST', '/api/sessions', { name: `failover-${i}` });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    // Let a few sweeps run so both workers hold some of the sessions.
    const { counts, busiest: victim, other: survivor, ofBusiest: moved } = await waitSpread(stack!, SESSIONS);
    console.log(`failover: sessions per worker before the kill: ${JSON.stringify(counts)}`);
    expect(moved.length).toBeGreaterThan(0);

    const killedAt = Date.now();
    stack!.workers.get(victim)!.kill('SIGKILL');
    await stack!.workers.get(victim)!.exited;
    await waitTakenOver(stack!, moved, { from: victim, to: survivor, timeoutMs: 6 * TTL_MS, intervalMs: 50 });
    const takeoverMs = Date.now() - killedAt;
    console.log(`failover: ${moved.length} sessions ready on ${survivor} ${takeoverMs} ms after SIGKILL of ${victim} (TTL ${TTL_MS} ms)`);
    expect(takeoverMs).toBeLessThanOrEqual(2 * TTL_MS);

    const endOf = { [victim]: killedAt, [survivor]: Number.POSITIVE_INFINITY };
    // The rows say ready before the survivor's "engine started" lines may have come through its stdout pipe.
    const intervals = await waitFor(
      `${survivor}'s engine start lines for the moved sessions`,
      () => {
        const found = engineIntervals(Object.fromEntries(WORKERS.map((w) => [w, stack!.workers.get(w)!.output()])), endOf);
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
