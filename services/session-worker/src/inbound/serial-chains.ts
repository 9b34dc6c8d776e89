/**
 * Promise chains by key: tasks of one key run one after another in the order they were
 * added, tasks of different keys run concurrently. A failed task does not stop the ones behind it.
 */
export class SerialChains {
  private readonly tails = new Map<string, Promise<void>>();

  /** Whether any key has tasks queued or running. */
  get busy(): boolean {
    return this.tails.size > 0;
  }

  /** Runs `task` after the earlier tasks of `key`; settles with the task's own outcome. */
  run(key: string, task: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves once every chain has run out, including tasks added meanwhile. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
