import { type RateCount, RateLimiterPort } from './rate-limiter.port';

/** Entries kept before expired windows are pruned. */
const PRUNE_AT = 10_000;

/** Counters in this process only: one gateway, or the fallback while Redis is away. */
export class MemoryRateLimiterAdapter extends RateLimiterPort {
  readonly plug = 'memory';
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  override async hit(bucket: string, windowMs: number): Promise<RateCount> {
    const now = this.now();
    // Windows aligned on the clock, like the Redis plug's, so switching plugs keeps the same edges.
    const endsAt = (Math.floor(now / windowMs) + 1) * windowMs;
    const current = this.windows.get(bucket);
    const entry = current && current.endsAt === endsAt ? current : { count: 0, endsAt };
    entry.count += 1;
    this.windows.set(bucket, entry);
    if (this.windows.size > PRUNE_AT) this.prune(now);
    return { count: entry.count, resetInMs: endsAt - now };
  }

  override async close(): Promise<void> {
    this.windows.clear();
  }

  private prune(now: number): void {
    for (const [bucket, entry] of this.windows) if (entry.endsAt <= now) this.windows.delete(bucket);
  }
}
