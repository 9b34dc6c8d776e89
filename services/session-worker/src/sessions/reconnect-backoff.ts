/** First reconnect delay; doubles per failed attempt up to the configured cap. */
export const RECONNECT_BASE_MS = 1_000;

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so many sessions dropped at once do not return in
 * lockstep, yet none retries at once.
 */
export function reconnectDelay(attempt: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 30));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
