import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { QueueName } from '@plugboard/contracts';
import { backendReachable, testBackends, uniqueName } from '@plugboard/testing';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import type { BusLogger } from '../bus/bus-logger';
import { NatsBusAdapter } from '../bus/nats-bus.adapter';
import { BullmqQueueAdapter } from '../queue/bullmq-queue.adapter';
import { SESSION_ID_CONTEXT_KEY } from './message-tracing';

const quiet: BusLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const tracer = trace.getTracer('message-tracing.int-spec');

/** What a handler saw of the active context. */
function seen(): { traceId?: string; sessionId?: unknown } {
  const active = context.active();
  return { traceId: trace.getSpanContext(active)?.traceId, sessionId: active.getValue(SESSION_ID_CONTEXT_KEY) };
}

/** Runs `work` inside a fresh root span (sampled off, as without an OTLP endpoint) and returns its trace id too. */
async function inRootSpan<T>(work: () => Promise<T>): Promise<{ traceId: string; result: T }> {
  const span = tracer.startSpan('test root');
  try {
    const result = await context.with(trace.setSpan(context.active(), span), work);
    return { traceId: span.spanContext().traceId, result };
  } finally {
    span.end();
  }
}

function redisConnection() {
  const parsed = new URL(testBackends.redisUrl);
  return { host: parsed.hostname, port: Number(parsed.port || 6379), db: 0 };
}

// Two adapters per socket stand for two processes: only what travels on the wire links them.
describe('trace context across processes (real NATS and Redis)', () => {
  let natsUp = false;
  let redisUp = false;
  const stream = uniqueName('TRACE_TEST').replace(/-/g, '_');
  const subjectPrefix = uniqueName('tracetest');
  const queuePrefix = uniqueName('pbtrace');
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler: new AlwaysOffSampler() }));
    natsUp = await backendReachable('NATS', testBackends.natsUrl);
    redisUp = await backendReachable('Redis', testBackends.redisUrl);
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    if (natsUp) {
      const nc = await connect({ servers: testBackends.natsUrl });
      await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
    if (redisUp) {
      const redis = new Redis({ ...redisConnection(), lazyConnect: true });
      await redis.connect();
      const keys = await redis.keys(`${queuePrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  async function natsPair(): Promise<[NatsBusAdapter, NatsBusAdapter]> {
    const make = async (name: string) => {
      const bus = new NatsBusAdapter({ servers: [testBackends.natsUrl], name, requestTimeoutMs: 2_000, eventsStream: stream, eventsMaxAgeMs: 600_000, subjectPrefix, logger: quiet });
      await bus.connect();
      closers.push(() => bus.close());
      return bus;
    };
    return [await make('trace-a'), await make('trace-b')];
  }

  it('NATS: requests, publishes and events continue the sender trace, with the session id for logs', async ({ skip }) => {
    skip(!natsUp, 'NATS is unreachable');
    const [sender, receiver] = await natsPair();
    let handled: ReturnType<typeof seen> | undefined;
    await receiver.handle('wa.session.any', (payload) => {
      handled = seen();
      return payload;
    });
    const published = new Promise<ReturnType<typeof seen>>((resolve) => void receiver.subscribe('trace.test.>', () => resolve(seen())));
    const consumed = new Promise<ReturnType<typeof seen>>((resolve) => void receiver.subscribeEvents({}, () => resolve(seen())));

    const { traceId } = await inRootSpan(async () => {
      await sender.request('wa.session.any', { sessionId: 's-1' });
      await sender.publish('trace.test.one', { sessionId: 's-2' });
      await sender.publishEvent({ id: uniqueName('ev'), type: 'message.sent', version: 1, sessionId: 's-3', occurredAt: new Date().toISOString(), data: {} });
    });

    expect(handled).toEqual({ traceId, sessionId: 's-1' });
    expect(await published).toEqual({ traceId, sessionId: 's-2' });
    expect(await consumed).toEqual({ traceId, sessionId: 's-3' });
  });

  it('NATS: a message sent outside any trace starts its own', async ({ skip }) => {
    skip(!natsUp, 'NATS is unreachable');
    const [sender, receiver] = await natsPair();
    let handled: ReturnType<typeof seen> | undefined;
    await receiver.handle('wa.session.any', () => {
      handled = seen();
      return null;
    }, { subject: 'wa.session.untraced.any' });
    await sender.request('wa.session.any', {}, { subject: 'wa.session.untraced.any' });
    expect(handled?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('BullMQ: the job continues the trace of the add on every try, and its data stays as added', async ({ skip }) => {
    skip(!redisUp, 'Redis is unreachable');
    const producer = new BullmqQueueAdapter({ connection: redisConnection(), prefix: queuePrefix, logger: quiet });
    const consumer = new BullmqQueueAdapter({ connection: redisConnection(), prefix: queuePrefix, logger: quiet });
    closers.push(() => producer.close(), () => consumer.close());
    const tries: Array<ReturnType<typeof seen> & { data: unknown }> = [];
    const done = new Promise<void>((resolve) => {
      void consumer.process(QueueName.MessagesSend, async (job) => {
        tries.push({ ...seen(), data: job.data });
        if (tries.length === 1) throw new Error('first try fails');
        resolve();
      });
    });
    const data = { sessionId: 's-9', messageId: 'm-1' };
    const { traceId, result } = await inRootSpan(() =>
      producer.add(QueueName.MessagesSend, 'send', data, { jobId: uniqueName('job'), attempts: 2, backoff: { type: 'fixed', delayMs: 10 } }),
    );
    await done;
    expect(tries).toEqual([
      { traceId, sessionId: 's-9', data },
      { traceId, sessionId: 's-9', data },
    ]);
    expect((await producer.getJob(QueueName.MessagesSend, result.id))?.data).toEqual(data);
  });
});
