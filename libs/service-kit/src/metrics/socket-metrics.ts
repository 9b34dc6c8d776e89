import type { HealthRegistry } from '../health/health-registry';
import type { MetricsService } from './metrics.service';

/**
 * Socket state at scrape time, from the same bounded probes as `/health/ready` (a hung
 * backend costs the scrape at most the probe timeout, and shows as down).
 */
export function registerSocketMetrics(metrics: MetricsService, health: HealthRegistry): void {
  let latest: Promise<Awaited<ReturnType<HealthRegistry['checkSockets']>>> | undefined;
  // The three gauges collect together: one probe round per scrape, shared by all three.
  const probe = () => (latest ??= health.checkSockets().finally(() => setImmediate(() => (latest = undefined))));
  metrics.gauge({
    name: 'plugboard_socket_up',
    help: 'Whether a socket (bus, queue, database, …) serves: 1 up or degraded, 0 down',
    labelNames: ['socket'],
    collect: async (gauge) => {
      gauge.reset();
      for (const s of await probe()) gauge.set({ socket: s.socket }, s.status === 'down' ? 0 : 1);
    },
  });
  metrics.gauge({
    name: 'plugboard_socket_degraded',
    help: 'Whether a socket serves in a degraded state (1) or not (0)',
    labelNames: ['socket'],
    collect: async (gauge) => {
      gauge.reset();
      for (const s of await probe()) gauge.set({ socket: s.socket }, s.status === 'degraded' ? 1 : 0);
    },
  });
  metrics.gauge({
    name: 'plugboard_socket_latency_seconds',
    help: 'Round-trip time of the last health probe of a socket, in seconds (sockets whose plug measures it)',
    labelNames: ['socket'],
    collect: async (gauge) => {
      gauge.reset();
      for (const s of await probe()) if (s.latencyMs !== undefined) gauge.set({ socket: s.socket }, s.latencyMs / 1000);
    },
  });
}
