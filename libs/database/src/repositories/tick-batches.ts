/**
 * Collects calls made in one turn of the event loop into batches, one per group, and runs
 * each batch once the turn is over (setImmediate): a burst of concurrent claims or acks
 * becomes one statement (or one queue call) instead of one each, at the cost of waiting for
 * the current turn.
 * A batch never holds one key twice: a repeated key waits until the batch holding it has
 * finished, so calls for one key apply in the order they were made.
 */
export class TickBatches<T, R> {
  private open = new Map<string, Batch<T, R>>();
  private scheduled = false;

  constructor(
    private readonly run: (group: string, items: Map<string, T>) => Promise<Map<string, R>>,
    private readonly maxBatch = 200,
  ) {}

  add(group: string, key: string, item: T): Promise<R> {
    const batch = this.open.get(group);
    if (batch?.waiting.has(key)) return batch.done.then(() => this.add(group, key, item));
    if (batch && batch.waiting.size >= this.maxBatch) {
      this.open.delete(group);
      this.start(group, batch);
      return this.add(group, key, item);
    }
    return new Promise<R>((resolve, reject) => {
      const current = batch ?? this.openBatch(group);
      current.waiting.set(key, { item, resolve, reject });
    });
  }

  private openBatch(group: string): Batch<T, R> {
    let finished!: () => void;
    const batch: Batch<T, R> = { waiting: new Map(), done: new Promise<void>((resolve) => (finished = resolve)), finished };
    this.open.set(group, batch);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return batch;
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.open;
    this.open = new Map();
    for (const [group, batch] of batches) this.start(group, batch);
  }

  private start(group: string, batch: Batch<T, R>): void {
    const items = new Map([...batch.waiting].map(([key, waiting]) => [key, waiting.item]));
    this.run(group, items)
      .then(
        (results) => batch.waiting.forEach((waiting, key) => waiting.resolve(results.get(key)!)),
        (error: unknown) => batch.waiting.forEach((waiting) => waiting.reject(error)),
      )
      .finally(batch.finished);
  }
}

interface Batch<T, R> {
  waiting: Map<string, { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }>;
  /** Settles when the batch has run (whatever its outcome). */
  done: Promise<void>;
  finished: () => void;
}
