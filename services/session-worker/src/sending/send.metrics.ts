/** Send metrics (session-worker), created on first use through `MetricsService`. */
export const SEND_METRICS = {
  sent: { name: 'plugboard_messages_sent_total', help: 'Outgoing messages the engine accepted (moved to sent)' },
  failures: { name: 'plugboard_message_send_failures_total', help: 'Outgoing messages failed for good after their tries' },
  retries: { name: 'plugboard_message_send_retries_total', help: 'Engine send errors followed by another try' },
} as const;
