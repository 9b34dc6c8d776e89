import { ErrorCode, EventEnvelope } from '@plugboard/contracts';
import { runBusContract } from './__tests__/bus.contract';
import { MemoryBusAdapter } from './memory-bus.adapter';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

runBusContract('memory', async () => {
  const bus = new MemoryBusAdapter({ logger: quiet });
  await bus.connect();
  return bus;
});

function setup(options: { maxEvents?: number } = {}) {
  const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const sut = new MemoryBusAdapter({ ...options, logger });
  return { sut, mocks: { logger } };
}

const event = (n: number): EventEnvelope => ({
  id: `e${n}`,
  type: 'message.received',
  version: 1,
  sessionId: 's1',
  occurredAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  data: { n },
});

describe('MemoryBusAdapter', () => {
  it('never runs a handler inside the publisher call', async () => {
    const { sut } = setup();
    await sut.connect();
    let ran = false;
    await sut.subscribe('a.b', () => void (ran = true));
    await sut.publish('a.b', {});
    expect(ran).toBe(false);
    await vi.waitFor(() => expect(ran).toBe(true));
  });

  it('rotates a queue group round-robin', async () => {
    const { sut } = setup();
    await sut.connect();
    const hits: string[] = [];
    for (const member of ['m1', 'm2', 'm3']) await sut.handle('bus.echo', ({ text }) => (hits.push(member), { text }), { queue: 'q' });
    for (let i = 0; i < 6; i++) await sut.request('bus.echo', { text: String(i) });
    expect(hits).toEqual(['m1', 'm2', 'm3', 'm1', 'm2', 'm3']);
  });

  it('logs a malformed request once per subject, not per message', async () => {
    const { sut, mocks } = setup();
    await sut.connect();
    await sut.handle('bus.echo', ({ text }) => ({ text }));
    for (let i = 0; i < 3; i++) {
      await expect(sut.request('bus.echo', { text: i } as never)).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    }
    expect(mocks.logger.warn).toHaveBeenCalledTimes(1);
  });

  it('keeps only the last N events and replays from the oldest kept', async () => {
    const { sut } = setup({ maxEvents: 3 });
    await sut.connect();
    for (let n = 1; n <= 5; n++) await sut.publishEvent(event(n));
    const seqs: number[] = [];
    await sut.subscribeEvents({ fromSequence: 1 }, (_e, meta) => void seqs.push(meta.seq));
    await vi.waitFor(() => expect(seqs).toEqual([3, 4, 5]));
  });

  it('reports its bounds: empty, then the last N kept', async () => {
    const { sut } = setup({ maxEvents: 3 });
    await sut.connect();
    await expect(sut.eventBounds()).resolves.toEqual({ firstSeq: 1, lastSeq: 0 });
    for (let n = 1; n <= 5; n++) await sut.publishEvent(event(n));
    await expect(sut.eventBounds()).resolves.toEqual({ firstSeq: 3, lastSeq: 5 });
  });

  it('replays from time by occurredAt', async () => {
    const { sut } = setup();
    await sut.connect();
    for (let n = 1; n <= 4; n++) await sut.publishEvent(event(n));
    const ids: string[] = [];
    await sut.subscribeEvents({ fromTime: new Date(1_700_000_000_000 + 3000) }, (e) => void ids.push(e.id));
    await vi.waitFor(() => expect(ids).toEqual(['e3', 'e4']));
  });

  it('refuses calls before connect()', async () => {
    const { sut } = setup();
    await expect(sut.publish('a', {})).rejects.toMatchObject({ code: ErrorCode.BusUnavailable });
  });
});
