/** Timed pauses that can all be cut short at once (a loop or bucket closing must not wait them out). */
export class Sleeps {
  private readonly pending = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  /** Resolves after `ms`, or at once when `wakeAll` is called first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pending.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.pending.add(entry);
    });
  }

  /** Ends every pause in progress now. */
  wakeAll(): void {
    for (const entry of this.pending) {
      clearTimeout(entry.timer);
      entry.wake();
    }
    this.pending.clear();
  }
}
