import { NatsBusAdapter } from '@plugboard/messaging';
import { JSONCodec, NatsConnection, connect } from 'nats';
import { inFlight, timed } from './load';

/**
 * Bus throughput, our NATS plug against the raw `nats` client doing the same job (JSON in,
 * JSON out) in the same run: request-reply with C requests in flight, and publish→subscribe
 * until the subscriber has every message. Target: ours ≥ 0.8 × raw.
 */

const URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const REQUESTS = 20_000;
const CONCURRENCY = 100;
const MESSAGES = 100_000;
const ROUNDS = 3;
const TARGET = 0.8;
const DEADLINE_MS = 30_000;

interface Contender {
  requestReply(count: number): Promise<number>;
  publishSubscribe(count: number): Promise<number>;
  close(): Promise<void>;
}

export async function runBusBench(): Promise<void> {
  const tag = `bench${process.pid}${Date.now().toString(36)}`;
  const ours = await ourBus(tag);
  const raw = await rawClient(tag);
  try {
    // Warm-up: JIT, connections, subscriptions, inbox mux.
    for (const side of [ours, raw]) {
      await side.requestReply(2_000);
      await side.publishSubscribe(10_000);
    }
    const rows: Array<[string, number, number]> = [];
    for (const [label, run] of [
      [`request-reply (N=${REQUESTS}, C=${CONCURRENCY})`, (side: Contender) => side.requestReply(REQUESTS)],
      [`publish→subscribe (M=${MESSAGES})`, (side: Contender) => side.publishSubscribe(MESSAGES)],
    ] as const) {
      const best = { ours: 0, raw: 0 };
      // Interleaved rounds, so drift of the machine hits both sides alike; best of each.
      for (let round = 0; round < ROUNDS; round++) {
        best.ours = Math.max(best.ours, await run(ours));
        best.raw = Math.max(best.raw, await run(raw));
      }
      rows.push([label, best.ours, best.raw]);
    }
    printTable(rows);
  } finally {
    await ours.close();
    await raw.close();
  }
}

async function ourBus(tag: string): Promise<Contender> {
  const options = {
    servers: [URL],
    requestTimeoutMs: 10_000,
    eventsStream: `${tag}_EVENTS`,
    eventsMaxAgeMs: 60_000,
    // Own subject space: the bench never meets a running Plugboard on the same server.
    subjectPrefix: tag,
  };
  const server = new NatsBusAdapter({ ...options, name: 'bench-ours-server' });
  const client = new NatsBusAdapter({ ...options, name: 'bench-ours-client' });
  await server.connect();
  await client.connect();
  await server.handle('bus.echo', ({ text }) => ({ text }));
  let received = 0;
  let onReceived = () => undefined as void;
  await server.subscribe('bench.pub', () => {
    if (++received === target) onReceived();
  });
  let target = 0;
  return {
    requestReply: (count) =>
      timed(() =>
        inFlight(count, CONCURRENCY, async () => {
          await client.request('bus.echo', { text: 'hello bench' });
        }),
      ).then((ms) => (count / ms) * 1000),
    publishSubscribe: async (count) => {
      received = 0;
      target = count;
      const all = new Promise<void>((resolve) => (onReceived = resolve));
      const ms = await timed(async () => {
        for (let i = 0; i < count; i++) await client.publish('bench.pub', { n: i, text: 'hello bench' });
        await within(all, 'our subscriber');
      });
      return (count / ms) * 1000;
    },
    close: async () => {
      await client.close();
      await server.close();
      const nc = await connect({ servers: URL });
      await (await nc.jetstreamManager()).streams.delete(options.eventsStream).catch(() => undefined);
      await nc.close();
    },
  };
}

async function rawClient(tag: string): Promise<Contender> {
  const codec = JSONCodec<{ n?: number; text: string }>();
  const server: NatsConnection = await connect({ servers: URL, name: 'bench-raw-server' });
  const client: NatsConnection = await connect({ servers: URL, name: 'bench-raw-client' });
  const echo = `${tag}.raw.echo`;
  const pub = `${tag}.raw.pub`;
  server.subscribe(echo, { callback: (_err, msg) => void msg.respond(codec.encode({ text: codec.decode(msg.data).text })) });
  let received = 0;
  let target = 0;
  let onReceived = () => undefined as void;
  server.subscribe(pub, {
    callback: (_err, msg) => {
      codec.decode(msg.data);
      if (++received === target) onReceived();
    },
  });
  await server.flush();
  return {
    requestReply: (count) =>
      timed(() =>
        inFlight(count, CONCURRENCY, async () => {
          codec.decode((await client.request(echo, codec.encode({ text: 'hello bench' }), { timeout: 10_000 })).data);
        }),
      ).then((ms) => (count / ms) * 1000),
    publishSubscribe: async (count) => {
      received = 0;
      target = count;
      const all = new Promise<void>((resolve) => (onReceived = resolve));
      const ms = await timed(async () => {
        for (let i = 0; i < count; i++) client.publish(pub, codec.encode({ n: i, text: 'hello bench' }));
        await within(all, 'raw subscriber');
      });
      return (count / ms) * 1000;
    },
    close: async () => {
      await client.drain();
      await server.drain();
    },
  };
}

function within(promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not receive every message within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function printTable(rows: Array<[string, number, number]>): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`\nbus bench against ${URL}: best of ${ROUNDS} rounds, ops/s (raw = nats client with JSONCodec)`);
  console.log(`${'case'.padEnd(36)}${'ours'.padStart(12)}${'raw'.padStart(12)}${'ours/raw'.padStart(10)}${'target'.padStart(8)}`);
  for (const [label, ours, raw] of rows) {
    console.log(`${label.padEnd(36)}${fmt(ours).padStart(12)}${fmt(raw).padStart(12)}${(ours / raw).toFixed(2).padStart(10)}${`≥ ${TARGET}`.padStart(8)}`);
  }
  for (const [label, ours, raw] of rows) {
    const ratio = ours / raw;
    console.log(`${ratio >= TARGET ? 'PASS' : 'BELOW TARGET'}  ${label}: ${ratio.toFixed(2)}`);
  }
}
