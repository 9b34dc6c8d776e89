/**
 * Coalesces concurrent calls into batches: calls made while a batch runs wait for the next
 * one, so one query (or one transaction: one commit, one fsync on SQLite) serves every try
 * in flight. No timer: a lone call runs right after the current tick, so an idle system
 * adds no latency.
 */
export class Batcher<I, O> {
  private pending: { input: I; resolve: (output: O) => void; reject: (error: unknown) => void }[] = [];
  private running = false;

  constructor(
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
  ) {}

  /** Resolves with this input's output once its batch ran; rejects when the batch failed. */
  call(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.running) return;
      this.running = true;
      // Let the other tries of this tick join the batch.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const outputs = await this.runBatch(batch.map((b) => b.input));
        batch.forEach((b, i) => b.resolve(outputs[i]));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    // Same tick as the last emptiness check: a call after it starts a new drain.
    this.running = false;
  }
}
