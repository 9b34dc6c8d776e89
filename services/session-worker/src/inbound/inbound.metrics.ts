/** Inbound metrics (session-worker), created on first use through `MetricsService`. */
export const INBOUND_METRICS = {
  unsupported: {
    name: 'plugboard_inbound_unsupported_total',
    help: 'Received messages of kinds Plugboard does not carry (polls, button and list replies…), by the engine kind; not stored',
    labelNames: ['kind'],
  },
} as const;
