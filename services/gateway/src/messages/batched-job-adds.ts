import type { QueueName } from '@plugboard/contracts';
import { type AddOptions, type AddResult, type NewJob, type QueuePort, injectTraceCarrier } from '@plugboard/messaging';

interface WaitingAdd {
  job: NewJob;
  resolve: (result: AddResult) => void;
  reject: (error: unknown) => void;
}

/** Above this many adds to one queue in one turn, the batch goes out at once. */
const MAX_BATCH = 200;

/**
 * Adds of jobs made in one turn of the event loop, sent as one `addMany` per queue once the
 * turn is over: a burst of concurrent sends costs one Redis round trip, not one each. Each
 * add keeps its own job id de-duplication and the trace of its caller; a failed `addMany`
 * fails every add in it.
 */
export class BatchedJobAdds {
  private waiting = new Map<QueueName, WaitingAdd[]>();
  private scheduled = false;

  constructor(private readonly queue: QueuePort) {}

  add<T>(queue: QueueName, name: string, data: T, options?: AddOptions): Promise<AddResult> {
    return new Promise<AddResult>((resolve, reject) => {
      // The caller's trace now: the batch is sent from another context.
      const job: NewJob = { name, data, options, trace: injectTraceCarrier() ?? null };
      const batch = this.waiting.get(queue) ?? [];
      batch.push({ job, resolve, reject });
      this.waiting.set(queue, batch);
      if (batch.length >= MAX_BATCH) {
        this.waiting.delete(queue);
        void this.send(queue, batch);
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.waiting;
    this.waiting = new Map();
    for (const [queue, batch] of batches) void this.send(queue, batch);
  }

  private async send(queue: QueueName, batch: WaitingAdd[]): Promise<void> {
    try {
      const results = await this.queue.addMany(queue, batch.map((waiting) => waiting.job));
      batch.forEach((waiting, i) => waiting.resolve(results[i]));
    } catch (error) {
      batch.forEach((waiting) => waiting.reject(error));
    }
  }
}
