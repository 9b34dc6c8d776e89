import { ErrorCode } from '@plugboard/contracts';
import { backendReachable, testBackends, uniqueName } from '@plugboard/testing';
import { connect, nanos } from 'nats';
import { runBusContract } from './__tests__/bus.contract';
import { BusLogger } from './bus-logger';
import { NatsBusAdapter, NatsBusOptions } from './nats-bus.adapter';

const url = testBackends.natsUrl;
// Own stream and subject space: parallel files and the real WA_EVENTS stream stay untouched.
const stream = uniqueName('BUS_TEST').replace(/-/g, '_');
const subjectPrefix = uniqueName('bustest');
const quiet: BusLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

function options(overrides: Partial<NatsBusOptions> = {}): NatsBusOptions {
  return {
    servers: [url],
    name: 'bus-int-spec',
    requestTimeoutMs: 2_000,
    eventsStream: stream,
    eventsMaxAgeMs: 600_000,
    subjectPrefix,
    logger: quiet,
    ...overrides,
  };
}

async function connected(overrides: Partial<NatsBusOptions> = {}): Promise<NatsBusAdapter> {
  const bus = new NatsBusAdapter(options(overrides));
  await bus.connect();
  return bus;
}

describe('NatsBusAdapter (real NATS)', () => {
  let reachable = false;
  // Skips every test when NATS is down; under CI=true backendReachable throws instead.
  beforeAll(async () => {
    reachable = await backendReachable('NATS', url);
  });
  beforeEach(({ skip }) => skip(!reachable, `NATS at ${url} is unreachable`));
  afterAll(async () => {
    if (!reachable) return;
    const nc = await connect({ servers: url });
    await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  runBusContract('nats', () => connected());

  it('logs a malformed request once per subject, not per message', async () => {
    const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const bus = await connected({ logger });
    try {
      await bus.handle('bus.echo', ({ text }) => ({ text }));
      for (let i = 0; i < 3; i++) {
        await expect(bus.request('bus.echo', { text: i } as never)).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
      }
      await expect(bus.request('bus.echo', { text: 'ok' })).resolves.toEqual({ text: 'ok' });
      expect(logger.warn).toHaveBeenCalledTimes(1);
    } finally {
      await bus.close();
    }
  });

  it('updates the limits of an existing stream on connect', async () => {
    const bus = await connected({ eventsMaxAgeMs: 300_000, eventsMaxBytes: 1_000_000 });
    await bus.close();
    const nc = await connect({ servers: url });
    try {
      const info = await (await nc.jetstreamManager()).streams.info(stream);
      expect(info.config.max_age).toBe(nanos(300_000));
      expect(info.config.max_bytes).toBe(1_000_000);
      expect(info.config.subjects).toEqual([`${subjectPrefix}.wa.events.>`]);
    } finally {
      await nc.close();
    }
  });

  it('lets an external program read events on the stream subjects as plain JSON', async () => {
    const bus = await connected();
    const nc = await connect({ servers: url });
    try {
      const sub = nc.subscribe(`${subjectPrefix}.wa.events.>`, { max: 1 });
      await nc.flush(); // the server knows the subscription before the event is published
      const event = { id: uniqueName('ev'), type: 'session.qr' as const, version: 1, sessionId: 'ext1', occurredAt: new Date().toISOString(), data: { qr: 'x' } };
      await bus.publishEvent(event);
      for await (const msg of sub) {
        expect(msg.subject).toBe(`${subjectPrefix}.wa.events.ext1.session.qr`);
        expect(msg.json()).toEqual(event);
      }
    } finally {
      await nc.close();
      await bus.close();
    }
  });
});
