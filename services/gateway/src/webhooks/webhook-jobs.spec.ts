import { QueueName } from '@plugboard/contracts';
import { MemoryQueueAdapter } from '@plugboard/messaging';
import { waitFor } from '@plugboard/testing';
import { Batcher } from './webhook-batcher';
import { enqueueNextAttempts, rescueAttempt } from './webhook-jobs';

const row = { id: 'msg_row', round: 0, attempts: [] };
const STUCK_AFTER_MS = 60_000;

function setup() {
  const queue = new MemoryQueueAdapter({ logger: { error: () => undefined, warn: () => undefined } });
  let release = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const ran: string[] = [];
  return { sut: { queue }, mocks: { held, release: () => release(), ran } };
}

describe('rescueAttempt', () => {
  it('leaves a try that is queued, or running for less than the stuck limit', async () => {
    const { sut, mocks } = setup();
    await sut.queue.add(QueueName.WebhooksDeliver, 'deliver', { deliveryId: row.id, round: 0, attempt: 1 }, { jobId: row.id });
    expect(await rescueAttempt(sut.queue, row, STUCK_AFTER_MS)).toBe(false);
    await sut.queue.process(QueueName.WebhooksDeliver, async (job) => {
      mocks.ran.push(job.id);
      await mocks.held;
    });
    await waitFor('active', async () => (await sut.queue.getJob(QueueName.WebhooksDeliver, row.id))?.state === 'active');
    expect(await rescueAttempt(sut.queue, row, STUCK_AFTER_MS)).toBe(false);
    mocks.release();
    await sut.queue.close();
    expect(mocks.ran).toEqual([row.id]);
  });

  it('adds the try again once it has run longer than the limit, or when its job is gone', async () => {
    const { sut, mocks } = setup();
    await sut.queue.process(QueueName.WebhooksDeliver, async (job) => {
      mocks.ran.push(job.id);
      if (job.id === row.id) await mocks.held;
    }, { concurrency: 2 });
    expect(await rescueAttempt(sut.queue, row, STUCK_AFTER_MS)).toBe(true);
    await waitFor('active', async () => (await sut.queue.getJob(QueueName.WebhooksDeliver, row.id))?.state === 'active');
    expect(await rescueAttempt(sut.queue, row, 0)).toBe(true);
    await waitFor('the rescue job ran', () => mocks.ran.includes(`${row.id}-rescue`));
    // The rescue id is taken now: a second rescue of the same try adds nothing.
    expect(await rescueAttempt(sut.queue, row, 0)).toBe(false);
    mocks.release();
    await sut.queue.close();
  });
});

describe('enqueueNextAttempts', () => {
  it('adds the next try of every row in one call: first tries under the delivery id, due ones waiting, later ones delayed', async () => {
    const { sut } = setup();
    const later = new Date(Date.now() + 60_000);
    const tried = { round: 0, attempt: 1, at: new Date().toISOString(), statusCode: 500, durationMs: 3, error: 'HTTP 500' };
    await enqueueNextAttempts(sut.queue, [
      { id: 'msg_a', round: 0, attempts: [], nextAttemptAt: new Date() },
      { id: 'msg_b', round: 0, attempts: [tried], nextAttemptAt: later },
    ]);
    const first = await sut.queue.getJob(QueueName.WebhooksDeliver, 'msg_a');
    const second = await sut.queue.getJob(QueueName.WebhooksDeliver, 'msg_b-r0-a2');
    expect(first).toMatchObject({ state: 'waiting', data: { deliveryId: 'msg_a', round: 0, attempt: 1 } });
    expect(second).toMatchObject({ state: 'delayed', data: { deliveryId: 'msg_b', round: 0, attempt: 2 } });
    // A replay (fan-out again, the boot sweep) adds nothing new: the ids are taken.
    await enqueueNextAttempts(sut.queue, [{ id: 'msg_a', round: 0, attempts: [], nextAttemptAt: new Date() }]);
    expect((await sut.queue.counts(QueueName.WebhooksDeliver)).waiting).toBe(1);
    await enqueueNextAttempts(sut.queue, []);
    await sut.queue.close();
  });
});

describe('Batcher', () => {
  it('runs the calls of one tick as one batch, later ones as the next, in order', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(async (inputs) => {
      batches.push(inputs);
      return inputs.map((n) => n * 2);
    }, 3);
    const first = await Promise.all([1, 2, 3, 4].map((n) => batcher.call(n)));
    expect(first).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1, 2, 3], [4]]);
    expect(await batcher.call(5)).toBe(10);
    expect(batches).toEqual([[1, 2, 3], [4], [5]]);
  });

  it('rejects every call of a failed batch and goes on with the next', async () => {
    let fail = true;
    const batcher = new Batcher<number, number>(async (inputs) => {
      if (fail) throw new Error('database down');
      return inputs;
    }, 10);
    const failed = await Promise.allSettled([batcher.call(1), batcher.call(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batcher.call(3)).toBe(3);
  });
});
