import Fastify from 'fastify';
import { QueueName } from '@plugboard/contracts';
import { MemoryBusAdapter, MemoryQueueAdapter } from '@plugboard/messaging';
import { createServiceLogger } from '../service-logger';
import { installRequestTracing } from './http-request-tracing';
import { startTracing } from './tracing-setup';

interface Line {
  msg: string;
  requestId?: string;
  sessionId?: string;
  traceId?: string;
  spanId?: string;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

async function setup() {
  startTracing({ serviceName: 'test', version: '0.0.0', instanceId: 'test-1' });
  const written: string[] = [];
  const logger = createServiceLogger('gateway', 'debug', { instance: 'gateway-1', destination: { write: (line: string) => void written.push(line) } });
  const bus = new MemoryBusAdapter({ logger });
  const queue = new MemoryQueueAdapter({ logger });
  await bus.connect();
  const jobDone = new Promise<void>((resolve) => {
    void queue.process(QueueName.MessagesSend, async () => {
      logger.log('job ran');
      resolve();
    });
  });
  const eventSeen = new Promise<void>((resolve) => {
    void bus.subscribeEvents({}, () => {
      logger.log('event seen');
      resolve();
    });
  });
  await bus.handle('wa.session.any', (payload) => {
    logger.log('request handled');
    return payload;
  });
  const app = Fastify();
  installRequestTracing(app, { service: 'gateway', logDebug: (line) => logger.debug(line) });
  app.post('/api/sessions/:id/echo', async (request) => {
    const { id } = request.params as { id: string };
    logger.log('route ran');
    await bus.request('wa.session.any', { sessionId: id });
    await queue.add(QueueName.MessagesSend, 'send', { sessionId: id, messageId: 'm1' });
    await bus.publishEvent({ id: 'e1', type: 'message.sent', version: 1, sessionId: id, occurredAt: new Date().toISOString(), data: {} });
    return { ok: true };
  });
  await app.ready();
  const lines = () => written.map((line) => JSON.parse(line) as Line);
  const close = async () => {
    await app.close();
    await queue.close();
    await bus.close();
  };
  return { sut: app, mocks: { bus, queue }, lines, jobDone, eventSeen, close };
}

describe('request tracing', () => {
  it('carries one trace from an HTTP request through a bus request, a queue job and an event, with ids in every log line', async () => {
    const { sut, lines, jobDone, eventSeen, close } = await setup();
    try {
      const response = await sut.inject({
        method: 'POST',
        url: '/api/sessions/s-42/echo',
        headers: { traceparent: PARENT, 'x-request-id': 'req-abc', 'content-type': 'application/json' },
        payload: { hello: 'world' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-request-id']).toBe('req-abc');
      await Promise.all([jobDone, eventSeen]);

      const byMsg = new Map(lines().map((line) => [line.msg, line]));
      for (const msg of ['route ran', 'request handled', 'job ran', 'event seen']) {
        expect(byMsg.get(msg), msg).toMatchObject({ traceId: TRACE_ID, sessionId: 's-42' });
        expect(byMsg.get(msg)?.spanId, msg).toMatch(/^[0-9a-f]{16}$/);
      }
      // The route runs after the body was parsed: the request id survives the stream events.
      expect(byMsg.get('route ran')?.requestId).toBe('req-abc');
      const access = lines().find((line) => line.msg.startsWith('POST /api/sessions/:id/echo 200'));
      expect(access).toMatchObject({ requestId: 'req-abc', traceId: TRACE_ID });
      expect(lines().find((line) => line.msg.includes('queue messages-send: job'))).toMatchObject({ traceId: TRACE_ID });
    } finally {
      await close();
    }
  });

  it('replaces an unsafe X-Request-Id and starts a new trace without traceparent', async () => {
    const { sut, lines, close } = await setup();
    try {
      const first = await sut.inject({ method: 'POST', url: '/api/sessions/s-1/echo', headers: { 'x-request-id': 'bad id <script>' }, payload: {} });
      const second = await sut.inject({ method: 'POST', url: '/api/sessions/s-1/echo', payload: {} });
      expect(first.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
      // Nothing is exported here, yet every request still gets real ids of its own trace.
      const routeLines = lines().filter((line) => line.msg === 'route ran');
      expect(routeLines).toHaveLength(2);
      for (const line of routeLines) expect(line).toMatchObject({ traceId: expect.stringMatching(/^(?!0+$)[0-9a-f]{32}$/), spanId: expect.stringMatching(/^(?!0+$)[0-9a-f]{16}$/) });
      expect(routeLines[0].traceId).not.toBe(routeLines[1].traceId);
    } finally {
      await close();
    }
  });
});
