import { waitFor } from '@plugboard/testing';
import { type ProcessStack, startProcessStack } from './process-stack';
import { call } from './sessions-http';

/** The INSTANCE_IDs of the lease stack's two session-workers. */
export const LEASE_WORKERS = ['worker-a', 'worker-b'] as const;
export type LeaseWorker = (typeof LEASE_WORKERS)[number];

export interface SessionView {
  id: string;
  status: string;
  owner: string | null;
}

/**
 * Gateway, infra-admin and two session-workers sharing their sessions through leases of
 * `ttlMs`, as separate processes on NATS + PostgreSQL with the in-process queue; the simulator
 * pairs each session after 200 ms.
 */
export function startLeaseStack(options: { tag: string; database: string; ttlMs: number }): Promise<ProcessStack> {
  return startProcessStack({
    tag: options.tag,
    queue: 'memory',
    database: options.database,
    workers: LEASE_WORKERS,
    env: {
      SIMULATOR_AUTO_PAIR_MS: '200',
      SESSION_LEASE_TTL_MS: String(options.ttlMs),
      SESSION_START_STAGGER_MS: '20',
    },
  });
}

/** Every session as GET /api/sessions lists it, with its owning worker. */
export async function listSessions(stack: ProcessStack): Promise<SessionView[]> {
  return (await call(stack.base, stack.key, 'GET', '/api/sessions')).body.sessions as SessionView[];
}

export interface LeaseSpread {
  /** Sessions per worker. */
  counts: Record<LeaseWorker, number>;
  /** The worker holding the most sessions (worker-a on a tie): the one a test takes away. */
  busiest: LeaseWorker;
  /** The other worker, which is to take them over. */
  other: LeaseWorker;
  /** The busiest worker's sessions. */
  ofBusiest: string[];
}

/** Waits until all `count` sessions are ready on some worker and tells how they are spread. */
export async function waitSpread(stack: ProcessStack, count: number): Promise<LeaseSpread> {
  const sessions = await waitFor(
    `all ${count} sessions ready`,
    async () => {
      const listed = await listSessions(stack);
      return listed.length === count && listed.every((s) => s.status === 'ready' && s.owner) ? listed : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const counts = Object.fromEntries(LEASE_WORKERS.map((w) => [w, sessions.filter((s) => s.owner === w).length])) as Record<LeaseWorker, number>;
  const busiest = counts['worker-a'] >= counts['worker-b'] ? 'worker-a' : 'worker-b';
  const other = busiest === 'worker-a' ? 'worker-b' : 'worker-a';
  return { counts, busiest, other, ofBusiest: sessions.filter((s) => s.owner === busiest).map((s) => s.id) };
}

/** Waits until every session of `ids`, taken from worker `from`, is ready on worker `to`. */
export async function waitTakenOver(
  stack: ProcessStack,
  ids: string[],
  { from, to, ...timing }: { from: string; to: string; timeoutMs: number; intervalMs: number },
): Promise<void> {
  await waitFor(
    `the ${ids.length} sessions of ${from} ready on ${to}`,
    async () => {
      const sessions = new Map((await listSessions(stack)).map((s) => [s.id, s]));
      return ids.every((id) => sessions.get(id)?.status === 'ready' && sessions.get(id)?.owner === to);
    },
    timing,
  );
}
