import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ErrorCode, QueueName } from '@plugboard/contracts';
import { MemoryQueueAdapter, QueueError } from '@plugboard/messaging';
import { BatchedJobAdds } from './batched-job-adds';

const SEND = QueueName.MessagesSend;
const HOOKS = QueueName.WebhooksDeliver;

function setup() {
  const queue = new MemoryQueueAdapter();
  const addMany = vi.spyOn(queue, 'addMany');
  return { sut: new BatchedJobAdds(queue), mocks: { queue, addMany } };
}

describe('BatchedJobAdds', () => {
  it('sends the adds of one turn as one addMany per queue, each caller getting its own result', async () => {
    const { sut, mocks } = setup();
    const results = await Promise.all([
      sut.add(SEND, 'send', { n: 1 }, { jobId: 'a' }),
      sut.add(HOOKS, 'deliver', { n: 2 }),
      sut.add(SEND, 'send', { n: 3 }, { jobId: 'a' }),
      sut.add(SEND, 'send', { n: 4 }, { jobId: 'b' }),
    ]);
    expect(results).toEqual([
      { id: 'a', duplicate: false },
      { id: expect.any(String), duplicate: false },
      { id: 'a', duplicate: true },
      { id: 'b', duplicate: false },
    ]);
    expect(mocks.addMany.mock.calls.map(([queue, jobs]) => [queue, jobs.map((job) => job.data)])).toEqual([
      [SEND, [{ n: 1 }, { n: 3 }, { n: 4 }]],
      [HOOKS, [{ n: 2 }]],
    ]);
    // The next turn is a new batch.
    await sut.add(SEND, 'send', { n: 5 });
    expect(mocks.addMany).toHaveBeenCalledTimes(3);
    await mocks.queue.close();
  });

  it('fails every add of a batch whose addMany failed, and only those', async () => {
    const { sut, mocks } = setup();
    const failure = new QueueError(ErrorCode.ServiceUnavailable, 'Redis is not connected', SEND);
    mocks.addMany.mockRejectedValueOnce(failure);
    const outcomes = await Promise.allSettled([sut.add(SEND, 'send', { n: 1 }), sut.add(SEND, 'send', { n: 2 })]);
    expect(outcomes).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
    await expect(sut.add(SEND, 'send', { n: 3 })).resolves.toMatchObject({ duplicate: false });
    await mocks.queue.close();
  });

  it("gives each job its caller's trace, not the context the batch is sent from", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler: new AlwaysOffSampler() }));
    try {
      const { sut, mocks } = setup();
      const span = trace.getTracer('batched-job-adds.spec').startSpan('request');
      const traced = context.with(trace.setSpan(context.active(), span), () => sut.add(SEND, 'send', { n: 1 }));
      const untraced = sut.add(SEND, 'send', { n: 2 });
      await Promise.all([traced, untraced]);
      span.end();
      const [[, jobs]] = mocks.addMany.mock.calls;
      expect(jobs[0].trace?.traceparent).toContain(span.spanContext().traceId);
      expect(jobs[1].trace).toBeNull();
      await mocks.queue.close();
    } finally {
      trace.disable();
      propagation.disable();
      context.disable();
    }
  });
});
