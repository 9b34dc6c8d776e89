import { type CancellationScope, type Database, type MessageEntity } from '@plugboard/database';
import type { BusPort } from '@plugboard/messaging';
import type { ServiceLogger } from '@plugboard/service-kit';
import { CancellationAnnouncer, cancelledEvent, cancelledEventId } from './cancellation-announcer';

function cancelled(id: string, steps: string[] = ['pending', 'failed']): MessageEntity {
  return {
    id,
    sessionId: 's1',
    chatId: '15551230000@c.us',
    batchId: 'b1',
    failureReason: 'batch_cancelled',
    timeline: steps.map((status, i) => ({ status, at: `2030-01-01T00:00:0${i}.000Z` })),
    updatedAt: new Date('2030-01-01T00:00:09Z'),
  } as MessageEntity;
}

/** Owed rows in a fake table: listing returns the unmarked ones, marking drops them. */
function setup(owed: MessageEntity[], refuse: (id: string) => boolean = () => false) {
  const marked: string[] = [];
  const batches = {
    listUnannouncedCancellations: vi.fn(async (_scope: CancellationScope, limit: number) => owed.filter((r) => !marked.includes(r.id)).slice(0, limit)),
    markCancellationsAnnounced: vi.fn(async (ids: string[]) => (marked.push(...ids), ids.length)),
  };
  const database = { batches, connector: { whenReady: async () => undefined } } as unknown as Database;
  const published: { id: string; type: string; data: Record<string, unknown> }[] = [];
  const bus = {
    connect: async () => undefined,
    publishEvent: vi.fn(async (event: { id: string; type: string; data: Record<string, unknown> }) => {
      if (refuse(event.data.messageId as string)) throw new Error('bus down');
      published.push(event);
      return published.length;
    }),
  } as unknown as BusPort;
  const logger = { warn: vi.fn() } as unknown as ServiceLogger;
  return { sut: new CancellationAnnouncer(database, bus, logger), mocks: { batches, published, marked, logger } };
}

describe('CancellationAnnouncer', () => {
  it("publishes each owed cancellation as the worker's final message.failed, then marks it", async () => {
    const { sut, mocks } = setup([cancelled('m1'), cancelled('m2', ['pending', 'sending', 'pending', 'failed'])]);
    expect(await sut.announce('b1')).toBe(2);
    expect(mocks.batches.listUnannouncedCancellations).toHaveBeenCalledWith({ batchId: 'b1' }, expect.any(Number));
    expect(mocks.published.map((e) => [e.type, e.data])).toEqual([
      ['message.failed', { messageId: 'm1', chatId: '15551230000@c.us', batchId: 'b1', reason: 'batch_cancelled', attempts: 0, final: true }],
      ['message.failed', { messageId: 'm2', chatId: '15551230000@c.us', batchId: 'b1', reason: 'batch_cancelled', attempts: 1, final: true }],
    ]);
    expect(mocks.marked).toEqual(['m1', 'm2']);
    // Nothing owed any more: a repeated cancel publishes nothing.
    expect(await sut.announce('b1')).toBe(0);
  });

  it('leaves what the bus refused owed, without rejecting, for the next pass', async () => {
    let down = true;
    const { sut, mocks } = setup([cancelled('m1'), cancelled('m2')], (id) => down && id === 'm2');
    expect(await sut.announce('b1')).toBe(1);
    expect(mocks.marked).toEqual(['m1']);
    expect(mocks.logger.warn).toHaveBeenCalledWith(expect.stringContaining('not published: bus down'), 'Messages');
    down = false;
    expect(await sut.announce('b1')).toBe(1);
    expect(mocks.marked).toEqual(['m1', 'm2']);
  });

  it('catches up on batches cancelled within the last day', async () => {
    const { sut, mocks } = setup([cancelled('m1')]);
    const now = Date.parse('2030-01-02T00:00:00Z');
    expect(await sut.catchUp(now)).toBe(1);
    expect(mocks.batches.listUnannouncedCancellations).toHaveBeenCalledWith({ cancelledSince: new Date('2030-01-01T00:00:00Z') }, expect.any(Number));
  });

  it('catches up by itself when the gateway starts', async () => {
    const { sut, mocks } = setup([cancelled('m1')]);
    sut.onApplicationBootstrap();
    await vi.waitFor(() => expect(mocks.marked).toEqual(['m1']));
    await sut.onApplicationShutdown();
  });

  it('gives an event the same UUID at every publish, and its failure time', () => {
    const event = cancelledEvent(cancelled('m1'));
    expect(event).toMatchObject({ id: cancelledEventId('m1'), sessionId: 's1', occurredAt: '2030-01-01T00:00:01.000Z', version: 1 });
    expect(cancelledEventId('m1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(cancelledEventId('m2')).not.toBe(cancelledEventId('m1'));
  });
});
