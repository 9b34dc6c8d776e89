import { uniqueName, waitFor } from '@plugboard/testing';
import { buildWhenReachable } from './support/build';
import { chatOf, textOf } from './support/chat-traffic';
import { type SendStack, startSendStack } from './support/send-stack';

const TTL_MS = 3_000;
const TOTAL = 2_000;
const CHATS = 20;
/** The owner is killed once this many sends reached the engine: well inside the batch. */
const KILL_AFTER = 300;
const WORKERS = ['worker-a', 'worker-b'] as const;
const UNREACHABLE = 'NATS, Redis or PostgreSQL unreachable';

interface Progress {
  id: string;
  status: string;
  total: number;
  sent: number;
  failed: number;
  pending: number;
}

// Gateway, two session-workers, media-service and infra-admin as separate processes; the lease owner is SIGKILLed mid-batch.
describe('a bulk send survives the SIGKILL of its session-worker (PostgreSQL + Redis + NATS)', () => {
  let reachable = false;
  let stack: SendStack | undefined;
  const tag = uniqueName('pbsendfail').replace(/-/g, '_');

  const engineCount = async (sessionId: string) =>
    Number((await stack!.sql<{ n: string }>(`select count(*) as n from simulator_messages where session_id = ? and direction = 'out'`, [sessionId]))[0].n);

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'Redis', 'PostgreSQL');
    if (!reachable) return;
    stack = await startSendStack({
      tag,
      database: 'pb_send_failover_test',
      workers: WORKERS,
      env: { SESSION_LEASE_TTL_MS: String(TTL_MS), SHUTDOWN_TIMEOUT_MS: '5000' },
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  });

  it(`sends each of ${TOTAL} bulk messages exactly once across a takeover, completes the batch, leaves nothing pending`, async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const sessionId = await stack!.readySession('bulk-failover');
    const owner = (await stack!.http<{ owner: string }>('GET', `/api/sessions/${sessionId}`)).body.owner;
    expect(WORKERS).toContain(owner);
    const survivor = WORKERS.find((w) => w !== owner)!;

    const messages = Array.from({ length: TOTAL }, (_, i) => ({ to: chatOf(i % CHATS), type: 'text', text: textOf(i % CHATS, Math.floor(i / CHATS)) }));
    const accepted = await stack!.http<{ batchId: string; total: number }>('POST', `/api/sessions/${sessionId}/messages/bulk`, { messages, delayMs: 0 });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect(accepted.body).toMatchObject({ batchId: expect.any(String), total: TOTAL });
    const { batchId } = accepted.body;

    const atKill = await waitFor(`${KILL_AFTER} engine sends`, async () => {
      const n = await engineCount(sessionId);
      return n >= KILL_AFTER ? n : undefined;
    }, { timeoutMs: 120_000, intervalMs: 10 });
    const victim = stack!.workers.get(owner)!;
    victim.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const sentBeforeKill = await engineCount(sessionId);
    console.log(`send failover: SIGKILL of ${owner} after ${atKill} engine sends (${sentBeforeKill} once it was dead)`);
    // Otherwise the kill proved nothing: the batch was already done.
    expect(sentBeforeKill).toBeLessThan(TOTAL);

    const done = await waitFor(
      'the batch completed',
      async () => {
        const progress = await stack!.http<Progress>('GET', `/api/sessions/${sessionId}/batches/${batchId}`);
        return progress.body?.status === 'completed' ? progress.body : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    ).catch(async (error: unknown) => {
      const progress = await stack!.http('GET', `/api/sessions/${sessionId}/batches/${batchId}`);
      const survivorOutput = stack!.workers.get(survivor)!.output().slice(-3_000);
      throw new Error(`${String(error)}; progress ${JSON.stringify(progress.body)}; engine sends ${await engineCount(sessionId)}\n${survivorOutput}`);
    });
    console.log(`send failover: batch completed ${Date.now() - killedAt} ms after the kill (lease TTL ${TTL_MS} ms)`);
    expect(done).toMatchObject({ id: batchId, status: 'completed', total: TOTAL, sent: TOTAL, failed: 0, pending: 0 });
    expect((await stack!.http<{ owner: string }>('GET', `/api/sessions/${sessionId}`)).body.owner).toBe(survivor);

    // Engine side: every message of the batch exactly once, and the row names that very send.
    const engine = await stack!.sql<{ client_message_id: string; wa_message_id: string }>(
      `select client_message_id, wa_message_id from simulator_messages where session_id = ? and direction = 'out'`,
      [sessionId],
    );
    expect(engine).toHaveLength(TOTAL);
    expect(new Set(engine.map((s) => s.client_message_id)).size).toBe(TOTAL);
    const rows = await stack!.sql<{ id: string; status: string; wa_message_id: string | null }>(
      `select id, status, wa_message_id from messages where batch_id = ?`,
      [batchId],
    );
    expect(rows).toHaveLength(TOTAL);
    const waIdOf = new Map(engine.map((s) => [s.client_message_id, s.wa_message_id]));
    for (const row of rows) expect(row.wa_message_id, row.id).toBe(waIdOf.get(row.id));
    const byStatus = rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    expect(byStatus.pending ?? 0, JSON.stringify(byStatus)).toBe(0);
    expect(byStatus.sending ?? 0, JSON.stringify(byStatus)).toBe(0);
    expect(byStatus.failed ?? 0, JSON.stringify(byStatus)).toBe(0);
  }, 420_000);
});
