/** Webhook delivery metrics (gateway), created on first use through `MetricsService`. */
export const WEBHOOK_METRICS = {
  attempts: { name: 'plugboard_webhook_attempts_total', help: 'Webhook HTTP tries made' },
  failures: { name: 'plugboard_webhook_failures_total', help: 'Webhook HTTP tries that failed (error, timeout, blocked or non-2xx)' },
  deadLetters: { name: 'plugboard_webhook_dead_letters_total', help: 'Webhook deliveries given up for good (dead)' },
} as const;
