import type { QueuePort } from '@plugboard/messaging';
import type { HealthRegistry } from '../health/health-registry';
import type { ServiceContext } from '../service-context';
import type { MetricsService } from './metrics.service';
import { registerQueueMetrics } from './queue-metrics';
import { registerSocketMetrics } from './socket-metrics';

/**
 * The metrics every service has: its sockets. Queue counts are shared state every process
 * sees alike, so only the gateway reports them (four copies per scrape in embedded mode
 * would sum to four times the truth).
 */
export function registerServiceMetrics(metrics: MetricsService, context: ServiceContext, health: HealthRegistry, queue: QueuePort, probeTimeoutMs: number): void {
  registerSocketMetrics(metrics, health);
  if (context.service === 'gateway') registerQueueMetrics(metrics, queue, probeTimeoutMs);
}
