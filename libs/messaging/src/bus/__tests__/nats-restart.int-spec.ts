import { ErrorCode, EventEnvelope } from '@plugboard/contracts';
import { NatsServerHandle, startNatsServer, waitFor } from '@plugboard/testing';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { BusError } from '../bus.errors';
import { NatsBusAdapter } from '../nats-bus.adapter';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const hasServerBinary = existsSync('/usr/sbin/nats-server') || (process.env.PATH ?? '').split(':').some((dir) => existsSync(`${dir}/nats-server`));
if (!hasServerBinary && process.env.CI === 'true') throw new Error('nats-server is not installed, and CI=true forbids skipping the restart suite');

const event = (n: number): EventEnvelope => ({
  id: randomUUID(),
  type: 'message.received',
  version: 1,
  sessionId: 'restart1',
  occurredAt: new Date().toISOString(),
  data: { n },
});

describe.skipIf(!hasServerBinary)('NatsBusAdapter across a server restart', () => {
  let server: NatsServerHandle;
  let bus: NatsBusAdapter;

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: true });
    bus = new NatsBusAdapter({
      servers: [server.url],
      name: 'restart-spec',
      requestTimeoutMs: 1_000,
      eventsStream: 'RESTART_EVENTS',
      eventsMaxAgeMs: 600_000,
      logger: quiet,
    });
    await bus.connect();
  });
  afterAll(async () => {
    await bus?.close();
    await server?.dispose();
  });

  it('goes down with the server, reconnects by itself, and keeps handlers and events working', { timeout: 60_000 }, async () => {
    await bus.handle('bus.echo', ({ text }) => ({ text, instanceId: 'survivor' }));
    const received: Array<{ n: unknown; seq: number }> = [];
    await bus.subscribeEvents({ filter: 'wa.events.restart1.>' }, (e, meta) => void received.push({ n: e.data.n, seq: meta.seq }));
    const firstSeq = await bus.publishEvent(event(1));
    await waitFor('event 1', () => received.length === 1, { timeoutMs: 5_000, intervalMs: 20 });
    await expect(bus.request('bus.echo', { text: 'before' })).resolves.toEqual({ text: 'before', instanceId: 'survivor' });

    await server.stop();
    await waitFor('state reconnecting', () => bus.state() === 'reconnecting', { timeoutMs: 10_000, intervalMs: 20 });
    const health = await bus.health();
    expect(health.status).toBe('down');
    expect(health.detail).toMatch(/reconnecting/);
    // While the server is gone the client buffers the request: it fails at its deadline, never hangs.
    const failure = await bus.request('bus.echo', { text: 'during' }, { timeoutMs: 500 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BusError);
    expect((failure as BusError).code).toBe(ErrorCode.BusTimeout);

    await server.restart();
    await waitFor('state connected again', () => bus.state() === 'connected', { timeoutMs: 20_000, intervalMs: 50 });
    await waitFor('the handler to answer again', () => bus.request('bus.echo', { text: 'after' }, { timeoutMs: 500 }).then((r) => r.text === 'after'), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    expect((await bus.health()).status).toBe('up');

    // The store dir survived: sequences continue and the ordered consumer resumes after event 1.
    const secondSeq = await waitFor('publishEvent after restart', () => bus.publishEvent(event(2)), { timeoutMs: 20_000, intervalMs: 200 });
    expect(secondSeq).toBeGreaterThan(firstSeq);
    await waitFor('event 2 on the old subscription', () => received.some((r) => r.n === 2), { timeoutMs: 30_000, intervalMs: 50 });
    expect(received.map((r) => r.n)).toEqual([1, 2]);
  });
});
