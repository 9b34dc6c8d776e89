import { Registry, collectDefaultMetrics } from 'prom-client';
import { mergeExpositions } from './metrics-exposition';
import type { MetricsService } from './metrics.service';

let processRegistry: Registry | undefined;

/**
 * Process metrics (CPU, memory, heap, event-loop lag, GC, handles) exist once per process:
 * prom-client's collectors watch the whole process and never stop, so they are registered a
 * single time, in a registry of their own, whatever number of services the process runs.
 */
export function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * What one process serves on `/metrics`: its process metrics and the metrics of each service
 * it runs. A service run alone has a hub of its own; embedded mode hands one hub to all four
 * services, so the gateway's `/metrics` (the only HTTP port there) shows all of them.
 */
export class MetricsHub {
  private readonly services = new Set<MetricsService>();

  /** Adds a service's metrics to this process's exposition. */
  add(metrics: MetricsService): void {
    this.services.add(metrics);
  }

  /** Drops a service's metrics (the service closed). */
  remove(metrics: MetricsService): void {
    this.services.delete(metrics);
  }

  /** Content type of the exposition: Prometheus text format 0.0.4. */
  get contentType(): string {
    return Registry.PROMETHEUS_CONTENT_TYPE;
  }

  /** Every family once, with the samples of the process and of every service (scrape-time collectors run here). */
  async exposition(): Promise<string> {
    const texts = await Promise.all([processMetricsRegistry().metrics(), ...[...this.services].map((s) => s.exposition())]);
    return mergeExpositions(texts);
  }
}
