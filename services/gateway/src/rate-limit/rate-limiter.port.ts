/** Outcome of counting one request in a fixed window. */
export interface RateCount {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends and the count starts again. */
  resetInMs: number;
}

/** Fixed-window request counters: the rate limit socket (Redis, shared by replicas, or memory). */
export abstract class RateLimiterPort {
  abstract readonly plug: 'redis' | 'memory';

  /** Counts one request for `bucket` in the window of `windowMs` that contains now. Never throws for a lost backend. */
  abstract hit(bucket: string, windowMs: number): Promise<RateCount>;

  /** Releases connections and timers. */
  abstract close(): Promise<void>;
}
