/**
 * Runs `task` on demand with at most one run in flight: a trigger during a run marks it
 * dirty and causes exactly one more run after it, however many triggers arrived. Wake-ups
 * of the send loop (job arrivals, timers, readiness) thus cost one query, not one each.
 */
export class Coalescer {
  private running: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  trigger(): void {
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = this.loop();
  }

  /** True while a run is in flight. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves when no run is in flight. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.dirty = false;
        try {
          await this.task();
        } catch (error) {
          this.onError(error);
        }
      } while (this.dirty);
    } finally {
      this.running = undefined;
    }
  }
}
