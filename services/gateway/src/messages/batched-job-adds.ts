import type { QueueName } from '@plugboard/contracts';
import { TickBatches } from '@plugboard/database';
import { type AddOptions, type AddResult, type NewJob, type QueuePort, injectTraceCarrier } from '@plugboard/messaging';

/**
 * Adds of jobs made in one turn of the event loop, sent as one `addMany` per queue once the
 * turn is over (TickBatches): a burst of concurrent sends costs one Redis round trip, not one
 * each. Each add keeps its own job id de-duplication and the trace of its caller; a failed
 * `addMany` fails every add in it.
 */
export class BatchedJobAdds {
  private readonly batches: TickBatches<NewJob, AddResult>;
  /** Every add is its own item: the same job id twice is for `addMany` to de-duplicate. */
  private nextKey = 0;

  constructor(queue: QueuePort) {
    this.batches = new TickBatches(async (name, jobs) => {
      const results = await queue.addMany(name as QueueName, [...jobs.values()]);
      return new Map([...jobs.keys()].map((key, i) => [key, results[i]]));
    });
  }

  add<T>(queue: QueueName, name: string, data: T, options?: AddOptions): Promise<AddResult> {
    // The caller's trace now: the batch is sent from another context.
    const job: NewJob = { name, data, options, trace: injectTraceCarrier() ?? null };
    return this.batches.add(queue, String(this.nextKey++), job);
  }
}
