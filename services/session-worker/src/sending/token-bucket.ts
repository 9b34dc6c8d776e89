import { Sleeps } from './sleeps';

/**
 * Pacing of one session's sends: up to `burst` at once, then `ratePerMinute` spread evenly.
 * Takers are served first come, first served, so no chat lane starves another. A rate of 0
 * turns pacing off (every take succeeds at once).
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly sleeps = new Sleeps();

  constructor(
    private readonly ratePerMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.refilledAt = now();
  }

  get enabled(): boolean {
    return this.ratePerMinute > 0;
  }

  /** Resolves true once a token is taken, false when the bucket was closed first. */
  take(): Promise<boolean> {
    if (!this.enabled) return Promise.resolve(!this.closed);
    const turn = this.chain.then(() => this.takeInTurn());
    this.chain = turn;
    return turn;
  }

  /** Wakes every waiting taker with false; later takes fail at once. */
  close(): void {
    this.closed = true;
    this.sleeps.wakeAll();
  }

  private async takeInTurn(): Promise<boolean> {
    for (;;) {
      if (this.closed) return false;
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return true;
      }
      const msPerToken = 60_000 / this.ratePerMinute;
      await this.sleeps.sleep(Math.ceil((1 - this.tokens) * msPerToken));
    }
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerMinute) / 60_000);
    this.refilledAt = now;
  }
}
