/** Longest wait between two tries, whatever the backoff base and try number. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * Delay before try `nextAttempt` (2, 3, …): exponential on `backoffMs`, with "equal jitter"
 * so receivers recovering from an outage are not hit by every delivery at once. The result
 * lies in [base/2, base] with base = min(backoffMs * 2^(nextAttempt-2), MAX_RETRY_DELAY_MS).
 */
export function retryDelayMs(backoffMs: number, nextAttempt: number, random: () => number = Math.random): number {
  const base = Math.min(backoffMs * 2 ** Math.max(0, nextAttempt - 2), MAX_RETRY_DELAY_MS);
  return Math.round(base / 2 + random() * (base / 2));
}

/**
 * Whether a failed try is worth repeating: network errors and timeouts (no status), 5xx,
 * 408 and 429. Any other answer (3xx not followed, 4xx) will not change by retrying.
 */
export function isRetryable(statusCode: number | null): boolean {
  if (statusCode === null) return true;
  return statusCode >= 500 || statusCode === 408 || statusCode === 429;
}
