import type { AppConfig } from '@plugboard/config';

/** The sending settings of a session-worker, read once from the validated config. */
export interface SendSettings {
  ratePerMinute: number;
  burst: number;
  maxAttempts: number;
  retryDelayMs: number;
  concurrency: number;
  /** Deadline of a forwarded send (`wa.session.<id>.send`). */
  forwardTimeoutMs: number;
}

export function sendSettingsOf(config: AppConfig): SendSettings {
  return {
    ratePerMinute: config.SEND_RATE_PER_MINUTE,
    burst: config.SEND_BURST,
    maxAttempts: config.SEND_MAX_ATTEMPTS,
    retryDelayMs: config.SEND_RETRY_DELAY_MS,
    concurrency: config.SEND_CONCURRENCY,
    forwardTimeoutMs: config.BUS_REQUEST_TIMEOUT_MS,
  };
}
