import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { DeliverPolicy, JSONCodec, type NatsConnection, connect } from 'nats';
import { Pool } from 'undici';
import { type TestDatabase, createTestDatabase, deleteRedisKeys, freePort, postgresEnv, testBackends } from '@plugboard/testing';
import { inFlight, timed } from './load';
import { type BenchProcess, startBuiltService } from './service-processes';

/**
 * Sending end to end, with the four services as separate processes on PostgreSQL + Redis
 * (BullMQ) + NATS and the simulator engine, pacing off: messages per second from the HTTP
 * request to the `message.sent` event seen by an outside JetStream subscriber (accept →
 * queue → engine send → row updated → event), next to a bare BullMQ add→process loop on the
 * same Redis with the same concurrency and number of messages (target ≥ 0.5). The simulator
 * acks each message (delivered, read) 200 ms after sending it; those acks are recorded while
 * ours runs, as they would be in use, and the raw round starts only once the last of them is
 * (its time is not counted), so their work never slows the raw loop. Then p50/p99 latency
 * (request → event seen) at half of the peak rate, open loop.
 */

const MESSAGES = 2_000;
const CONCURRENCY = 64;
/** Enough chats that per-chat ordering never limits the send concurrency. */
const CHATS = 256;
const ROUNDS = 3;
const WARM_UP = 500;
const TARGET = 0.5;
const LATENCY_SECONDS = 10;
const DEADLINE_MS = 120_000;
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** Which services write a V8 CPU profile into BENCH_PROFILE_DIR (comma-separated; default the session-worker). */
const PROFILED = new Set((process.env.BENCH_PROFILE_SERVICES ?? 'session-worker').split(','));
const profileFlags = (name: string) => (PROFILE_DIR && PROFILED.has(name) ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []);

export async function runSendBench(): Promise<void> {
  const tag = `pbbenchsend_${process.pid}_${Date.now().toString(36)}`;
  const stack = await startStack(tag);
  const raw = await startRawLoop(tag);
  try {
    const sessionId = await stack.readySession();
    const seen = await watchSentEvents(tag, sessionId);
    const pool = new Pool(stack.base, { connections: CONCURRENCY });
    try {
      // Each round of ours ends once the simulator's acks are recorded: left to run on, that
      // work (two row updates and two events per message) would slow the raw round after it.
      const ours = async (count: number) => {
        const rate = await sendLoop(pool, stack.key, sessionId, seen, count);
        await stack.acksRecorded(sessionId);
        return rate;
      };
      await ours(WARM_UP);
      await raw.run(WARM_UP);
      const before = await stack.databaseCounters();
      const cpuBefore = cpuTimes(stack.processes);
      const best = { ours: 0, raw: 0 };
      // Interleaved rounds, so drift of the machine hits both sides alike; best of each.
      for (let round = 0; round < ROUNDS; round++) {
        best.ours = Math.max(best.ours, (await ours(MESSAGES)).perSecond);
        best.raw = Math.max(best.raw, await raw.run(MESSAGES));
      }
      const cpuAfter = cpuTimes(stack.processes);
      const after = await stack.databaseCounters();
      const unsettled = await stack.unsettledRows(sessionId);
      if (unsettled > 0) throw new Error(`${unsettled} rows still pending or sending after every message.sent was seen`);

      const rate = best.ours / 2;
      const latency = await openLoop(pool, stack.key, sessionId, seen, rate, Math.round(rate * LATENCY_SECONDS));

      const sent = ROUNDS * MESSAGES;
      console.log(`send bench: gateway, session-worker, media-service, infra-admin as separate processes; PostgreSQL + Redis + NATS; simulator; SEND_RATE_PER_MINUTE=0`);
      console.log(
        `${`end to end HTTP → message.sent seen (N=${MESSAGES}, C=${CONCURRENCY}) vs bare BullMQ add→process`.padEnd(88)}` +
          `${best.ours.toFixed(0).padStart(7)} msg/s  ${best.raw.toFixed(0).padStart(7)} msg/s  ratio ${(best.ours / best.raw).toFixed(2)} ` +
          `(target ≥ ${TARGET}) ${best.ours / best.raw >= TARGET ? 'ok' : 'BELOW TARGET'}`,
      );
      console.log(
        `latency at ${rate.toFixed(0)} msg/s (half of peak), ${latency.count} messages: request → message.sent seen p50 ${latency.request.p50.toFixed(1)} ms, ` +
          `p99 ${latency.request.p99.toFixed(1)} ms; 202 → message.sent seen p50 ${latency.accepted.p50.toFixed(1)} ms, p99 ${latency.accepted.p99.toFixed(1)} ms`,
      );
      const stages = await stack.stages(latency.requests, seen);
      console.log(
        `where the time goes at that rate (medians, from the rows' timestamps): request → row inserted ${stages.inserted.toFixed(0)} ms, ` +
          `row → claimed (sending) ${stages.claimed.toFixed(0)} ms, claimed → sent ${stages.sent.toFixed(0)} ms, sent → event seen ${stages.seen.toFixed(0)} ms`,
      );
      const cpu = Object.entries(cpuAfter)
        .map(([name, ms]) => `${name} ${((ms - cpuBefore[name]) / (ROUNDS * MESSAGES)).toFixed(2)}`)
        .join(', ');
      console.log(`CPU milliseconds per message over the measured rounds (both loops; ${cpus().length} cores): ${cpu}`);
      console.log(
        `PostgreSQL work per message over the measured rounds (all services): ${perMessage(after.commits - before.commits, sent)} commits, ` +
          `${perMessage(after.inserted - before.inserted, sent)} rows inserted, ${perMessage(after.updated - before.updated, sent)} updated, ` +
          `${perMessage(after.returned - before.returned, sent)} rows read`,
      );
    } finally {
      await pool.destroy();
      await seen.close();
    }
  } finally {
    await raw.close();
    await stack.close();
  }
}

const perMessage = (total: number, messages: number) => (total / messages).toFixed(1);
const now = () => performance.now();

// ---- the services ----

/** CPU time used so far (user + system, ms) by each service process, every postgres process, and the whole machine. */
function cpuTimes(processes: BenchProcess[]): Record<string, number> {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const ofPid = (pid: number) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      return 0;
    }
  };
  const times: Record<string, number> = {};
  for (const p of processes) times[p.name] = (times[p.name] ?? 0) + ofPid(p.child.pid ?? 0);
  times['bench (both clients, BullMQ worker)'] = ofPid(process.pid);
  times.postgres = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .reduce((sum, pid) => sum + ofPid(Number(pid)), 0);
  const [, ...machine] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  // user nice system (idle and iowait excluded) irq softirq steal
  times['whole machine'] = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + Number(machine[i]), 0) * tick;
  return times;
}

interface Stack {
  base: string;
  key: string;
  processes: BenchProcess[];
  readySession(): Promise<string>;
  /** Cumulative counters of the bench database (pg_stat_database). */
  databaseCounters(): Promise<{ commits: number; inserted: number; updated: number; returned: number }>;
  unsettledRows(sessionId: string): Promise<number>;
  /** Resolves once every message of the session is `read` or `failed` (the simulator acked it). */
  acksRecorded(sessionId: string): Promise<void>;
  /** Median time of each step, from the rows' own timestamps and the subscriber's clock. */
  stages(requests: { id: string; requestedWall: number }[], seen: SentWatch): Promise<{ inserted: number; claimed: number; sent: number; seen: number }>;
  close(): Promise<void>;
}

async function startStack(tag: string): Promise<Stack> {
  const key = `pb_${tag}_bench-admin-key`;
  const database: TestDatabase = await createTestDatabase({ prefix: 'pb_bench_send_test' });
  const cwd = mkdtempSync(join(tmpdir(), 'pb-bench-send-'));
  const redis = new URL(testBackends.redisUrl);
  const gatewayPort = await freePort();
  const mediaPort = await freePort();
  const env: Record<string, string> = {
    BUS_TYPE: 'nats',
    NATS_URL: testBackends.natsUrl,
    BUS_SUBJECT_PREFIX: tag,
    EVENTS_STREAM: tag,
    QUEUE_TYPE: 'bullmq',
    QUEUE_PREFIX: tag,
    REDIS_HOST: redis.hostname,
    REDIS_PORT: redis.port || '6379',
    REDIS_ENABLED: 'true',
    ...postgresEnv(database.config),
    HOST: '127.0.0.1',
    DATA_DIR: join(cwd, 'data'),
    API_MASTER_KEY: key,
    MEDIA_SERVICE_URL: `http://127.0.0.1:${mediaPort}`,
    INTERNAL_TOKEN: `${tag}-internal-token`,
    STORAGE_LOCAL_PATH: join(cwd, 'media'),
    ENGINE_TYPE: 'simulator',
    SIMULATOR_AUTO_PAIR_MS: '1',
    SIMULATOR_ACK_DELAY_MS: '200',
    SEND_RATE_PER_MINUTE: '0',
    SEND_CONCURRENCY: String(CONCURRENCY),
    SESSION_START_STAGGER_MS: '0',
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };
  const processes: BenchProcess[] = [
    startBuiltService('infra-admin', { ...env, HTTP_PORT: String(await freePort()) }, cwd),
    startBuiltService('media-service', { ...env, HTTP_PORT: String(mediaPort) }, cwd),
    // BENCH_PROFILE_DIR=<dir>: the services in BENCH_PROFILE_SERVICES write V8 CPU profiles there.
    startBuiltService('session-worker', { ...env, HTTP_PORT: String(await freePort()) }, cwd, profileFlags('session-worker')),
    startBuiltService('gateway', { ...env, PORT: String(gatewayPort) }, cwd, profileFlags('gateway')),
  ];
  const base = `http://127.0.0.1:${gatewayPort}`;
  const { knex } = await import('@mikro-orm/postgresql');
  const url = new URL(testBackends.databaseUrl);
  url.pathname = `/${database.name}`;
  const sql = knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 1 } });

  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const stack: Stack = {
    base,
    key,
    processes,
    readySession: async () => {
      const created = await api<{ id: string }>('POST', '/api/sessions', { name: `bench-${tag}` });
      if (created.status !== 201) throw new Error(`POST /api/sessions: ${created.status} ${JSON.stringify(created.body)}`);
      await until('the session ready', async () => (await api<{ status: string }>('GET', `/api/sessions/${created.body.id}/status`)).body.status === 'ready');
      return created.body.id;
    },
    databaseCounters: async () => {
      // The statistics reach pg_stat_database a moment after each transaction; let them arrive.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await sql.raw('select pg_stat_clear_snapshot()');
      const { rows } = (await sql.raw(
        'select xact_commit as commits, tup_inserted as inserted, tup_updated as updated, tup_returned as returned from pg_stat_database where datname = ?',
        [database.name],
      )) as { rows: Record<string, string>[] };
      const row = rows[0];
      return { commits: Number(row.commits), inserted: Number(row.inserted), updated: Number(row.updated), returned: Number(row.returned) };
    },
    unsettledRows: async (sessionId) => {
      const { rows } = (await sql.raw(`select count(*) as n from messages where session_id = ? and status in ('pending', 'sending')`, [sessionId])) as {
        rows: { n: string }[];
      };
      return Number(rows[0].n);
    },
    acksRecorded: (sessionId) =>
      until(
        'the acks of every message recorded',
        async () => {
          const { rows } = (await sql.raw(`select count(*) as n from messages where session_id = ? and status not in ('read', 'failed')`, [sessionId])) as {
            rows: { n: string }[];
          };
          return Number(rows[0].n) === 0;
        },
        DEADLINE_MS,
        50,
      ),
    stages: async (requests, seen) => {
      const { rows } = (await sql.raw('select id, created_at, timeline, sent_at from messages where id = any(?)', [requests.map((r) => r.id)])) as {
        rows: { id: string; created_at: Date; timeline: { status: string; at: string }[]; sent_at: Date }[];
      };
      const byId = new Map(rows.map((r) => [r.id, r]));
      const steps = { inserted: [] as number[], claimed: [] as number[], sent: [] as number[], seen: [] as number[] };
      for (const request of requests) {
        const row = byId.get(request.id);
        const claimedAt = row?.timeline.find((t) => t.status === 'sending')?.at;
        const seenAt = seen.wallClockOf(request.id);
        if (!row || !claimedAt || !seenAt) continue;
        steps.inserted.push(row.created_at.getTime() - request.requestedWall);
        steps.claimed.push(Date.parse(claimedAt) - row.created_at.getTime());
        steps.sent.push(row.sent_at.getTime() - Date.parse(claimedAt));
        steps.seen.push(seenAt - row.sent_at.getTime());
      }
      return {
        inserted: percentiles(steps.inserted).p50,
        claimed: percentiles(steps.claimed).p50,
        sent: percentiles(steps.sent).p50,
        seen: percentiles(steps.seen).p50,
      };
    },
    close: async () => {
      // A clean exit writes the profile; SIGKILL would lose it.
      for (const p of processes) await p.stop(profileFlags(p.name).length ? 'SIGTERM' : 'SIGKILL');
      await sql.destroy();
      await database.drop();
      const nc = await connect({ servers: testBackends.natsUrl });
      await (await nc.jetstreamManager()).streams.delete(tag).catch(() => undefined);
      await nc.close();
      await deleteRedisKeys(`${tag}:*`);
      rmSync(cwd, { recursive: true, force: true });
    },
  };
  try {
    await until(
      'all four services up',
      async () => {
        for (const p of processes) if (p.child.exitCode !== null) throw new Error(`${p.name} exited:\n${p.tail()}`);
        const infra = await api<{ services?: Record<string, { status: string }> }>('GET', '/api/infra/status');
        return ['gateway', 'session-worker', 'media-service', 'infra-admin'].every((s) => infra.body?.services?.[s]?.status === 'up');
      },
      120_000,
    );
  } catch (error) {
    await stack.close();
    throw error;
  }
  return stack;
}

// ---- the outside subscriber ----

interface SentWatch {
  /** Resolves with the time each of `ids` was seen (performance.now()). */
  all(ids: string[]): Promise<number[]>;
  /** Wall-clock time (Date.now()) `id` was seen, to line up with the rows' timestamps. */
  wallClockOf(id: string): number | undefined;
  close(): Promise<void>;
}

/** A program outside Plugboard: its own NATS connection and an ordered JetStream consumer of `message.sent`. */
async function watchSentEvents(tag: string, sessionId: string): Promise<SentWatch> {
  const nc: NatsConnection = await connect({ servers: testBackends.natsUrl });
  const consumer = await nc.jetstream().consumers.get(tag, {
    filterSubjects: `${tag}.wa.events.${sessionId}.message.sent`,
    deliver_policy: DeliverPolicy.New,
  });
  const messages = await consumer.consume();
  const json = JSONCodec<{ data: { messageId: string } }>();
  const seenAt = new Map<string, number>();
  const seenWall = new Map<string, number>();
  let waiting: { ids: string[]; resolve: (times: number[]) => void } | undefined;
  let missing = 0;
  const settle = () => {
    if (waiting && missing === 0) {
      const { ids, resolve } = waiting;
      waiting = undefined;
      resolve(ids.map((id) => seenAt.get(id)!));
    }
  };
  const wanted = new Set<string>();
  const loop = (async () => {
    for await (const msg of messages) {
      const id = json.decode(msg.data).data.messageId;
      if (!seenAt.has(id)) {
        seenAt.set(id, now());
        seenWall.set(id, Date.now());
      }
      if (wanted.delete(id)) {
        missing--;
        settle();
      }
    }
  })();
  return {
    all: (ids) =>
      within(
        new Promise<number[]>((resolve) => {
          wanted.clear();
          for (const id of ids) if (!seenAt.has(id)) wanted.add(id);
          missing = wanted.size;
          waiting = { ids, resolve };
          settle();
        }),
        `${ids.length} message.sent events`,
      ),
    wallClockOf: (id) => seenWall.get(id),
    close: async () => {
      await messages.close();
      await loop.catch(() => undefined);
      await nc.close();
    },
  };
}

// ---- the two loops ----

let sequence = 0;
const nextMessage = () => {
  const n = sequence++;
  return JSON.stringify({ to: `1555${String(n % CHATS).padStart(7, '0')}@c.us`, type: 'text', text: `bench message ${n}` });
};

async function postMessage(pool: Pool, key: string, sessionId: string): Promise<string> {
  const { statusCode, body } = await pool.request({
    method: 'POST',
    path: `/api/sessions/${sessionId}/messages`,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: nextMessage(),
  });
  const text = await body.text();
  if (statusCode !== 202) throw new Error(`POST messages: ${statusCode} ${text}`);
  return (JSON.parse(text) as { id: string }).id;
}

/** `count` sends with `CONCURRENCY` requests in flight, until every message.sent was seen. */
async function sendLoop(pool: Pool, key: string, sessionId: string, seen: SentWatch, count: number): Promise<{ perSecond: number }> {
  const ids: string[] = [];
  const ms = await timed(async () => {
    await inFlight(count, CONCURRENCY, async () => void ids.push(await postMessage(pool, key, sessionId)));
    await seen.all(ids);
  });
  return { perSecond: (count / ms) * 1000 };
}

interface Percentiles {
  p50: number;
  p99: number;
}

/** `count` sends at a fixed `rate` (open loop: a slow reply never delays the next request). */
async function openLoop(
  pool: Pool,
  key: string,
  sessionId: string,
  seen: SentWatch,
  rate: number,
  count: number,
): Promise<{ count: number; request: Percentiles; accepted: Percentiles; requests: { id: string; requestedWall: number }[] }> {
  const interval = 1000 / rate;
  const start = now();
  const sends: Promise<{ id: string; requested: number; accepted: number; requestedWall: number }>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    const wait = due - now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const requested = now();
    const requestedWall = Date.now();
    sends.push(postMessage(pool, key, sessionId).then((id) => ({ id, requested, accepted: now(), requestedWall })));
  }
  const done = await Promise.all(sends);
  const times = await seen.all(done.map((d) => d.id));
  return {
    count,
    request: percentiles(done.map((d, i) => times[i] - d.requested)),
    accepted: percentiles(done.map((d, i) => times[i] - d.accepted)),
    requests: done,
  };
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: at(0.5), p99: at(0.99) };
}

interface RawLoop {
  /** Adds `count` jobs with `CONCURRENCY` adds in flight until a worker of the same concurrency processed them all; jobs per second. */
  run(count: number): Promise<number>;
  close(): Promise<void>;
}

/** The baseline: what BullMQ alone does on the same Redis, a job per message with an id like ours. */
async function startRawLoop(tag: string): Promise<RawLoop> {
  const redis = new URL(testBackends.redisUrl);
  const connection = { host: redis.hostname, port: Number(redis.port || 6379), maxRetriesPerRequest: null };
  const prefix = `${tag}_raw`;
  const queue = new Queue('messages-send', { connection, prefix });
  let processed = 0;
  let target = 0;
  let finish: (() => void) | undefined;
  const worker = new Worker('messages-send', async () => undefined, { connection, prefix, concurrency: CONCURRENCY });
  worker.on('completed', () => {
    if (++processed === target) finish?.();
  });
  await worker.waitUntilReady();
  return {
    run: async (count) => {
      processed = 0;
      target = count;
      const all = new Promise<void>((resolve) => (finish = resolve));
      const ms = await timed(async () => {
        await inFlight(count, CONCURRENCY, async () => {
          const id = randomUUID();
          await queue.add('send', { sessionId: tag, messageId: id }, { jobId: id, removeOnComplete: true, removeOnFail: true });
        });
        await within(all, `${count} BullMQ jobs processed`);
      });
      return (count / ms) * 1000;
    },
    close: async () => {
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await deleteRedisKeys(`${prefix}:*`);
    },
  };
}

// ---- small helpers ----

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
      if (error instanceof Error && error.message.includes('exited')) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), DEADLINE_MS)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
