import { QueueName } from '@plugboard/contracts';
import { MemoryQueueAdapter } from '@plugboard/messaging';
import { BatchedJobAdds } from './batched-job-adds';
import { parseIdempotencyKey } from './idempotency-keys';
import { bulkJobId, enqueueSend, sendJobId } from './message-jobs';

function setup() {
  const queue = new MemoryQueueAdapter();
  return { sut: { enqueueSend: (messageId: string, key: string | null) => enqueueSend(queue, { sessionId: 's1', messageId }, key) }, mocks: { queue } };
}

describe('send job ids', () => {
  it('uses a plain key as it is and hashes any other', () => {
    expect(sendJobId('s1', 'order-42_a')).toBe('s1.order-42_a');
    expect(sendJobId('s1', 'order:42')).toMatch(/^s1\.[0-9a-f]{64}$/);
    expect(sendJobId('s1', 'k'.repeat(129))).toMatch(/^s1\.[0-9a-f]{64}$/);
    expect(bulkJobId('s1', 'b1')).toBe('s1.batch.b1');
  });

  it('never contains the ":" the queue socket refuses', () => {
    expect(sendJobId('a-b', 'x:y:z')).not.toContain(':');
  });
});

describe('enqueueSend', () => {
  it('adds one job per key, however often it is called', async () => {
    const { sut, mocks } = setup();
    await Promise.all([sut.enqueueSend('m1', 'key'), sut.enqueueSend('m1', 'key'), sut.enqueueSend('m1', 'key')]);
    const counts = await mocks.queue.counts(QueueName.MessagesSend);
    expect(counts.waiting).toBe(1);
    expect((await mocks.queue.getJob(QueueName.MessagesSend, 's1.key'))?.data).toEqual({ sessionId: 's1', messageId: 'm1' });
    await mocks.queue.close();
  });

  it("gives a key's new message its own job when the key's job belongs to an older message", async () => {
    const { sut, mocks } = setup();
    await sut.enqueueSend('old', 'key');
    await sut.enqueueSend('new', 'key');
    expect((await mocks.queue.getJob(QueueName.MessagesSend, 's1.new'))?.data).toEqual({ sessionId: 's1', messageId: 'new' });
    expect((await mocks.queue.counts(QueueName.MessagesSend)).waiting).toBe(2);
    await mocks.queue.close();
  });

  it('adds the jobs of concurrent sends with one addMany, still one job per key', async () => {
    const { mocks } = setup();
    const adds = new BatchedJobAdds(mocks.queue);
    const addMany = vi.spyOn(mocks.queue, 'addMany');
    const send = (messageId: string, key: string | null) => enqueueSend(mocks.queue, { sessionId: 's1', messageId }, key, adds);
    await Promise.all([send('m1', 'key'), send('m2', null), send('m1', 'key')]);
    expect(addMany).toHaveBeenCalledTimes(1);
    expect((await mocks.queue.counts(QueueName.MessagesSend)).waiting).toBe(2);
    expect((await mocks.queue.getJob(QueueName.MessagesSend, 's1.m2'))?.data).toEqual({ sessionId: 's1', messageId: 'm2' });
    await mocks.queue.close();
  });
});

describe('parseIdempotencyKey', () => {
  it('accepts 1-255 printable characters and no header', () => {
    expect(parseIdempotencyKey(undefined)).toBeNull();
    expect(parseIdempotencyKey('order: 42 / #7')).toBe('order: 42 / #7');
    expect(parseIdempotencyKey('k'.repeat(255))).toHaveLength(255);
  });

  it.each([['empty', ''], ['too long', 'k'.repeat(256)], ['a control character', 'a\tb'], ['non-ASCII', 'clé'], ['twice', ['a', 'b']]])(
    'refuses %s with 400 VALIDATION_FAILED',
    (_name, value) => {
      expect(() => parseIdempotencyKey(value)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    },
  );
});
