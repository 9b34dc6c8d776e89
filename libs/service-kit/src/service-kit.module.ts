import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Database } from '@plugboard/database';
import { BusPort, QueuePort } from '@plugboard/messaging';
import { HealthRegistry } from './health/health-registry';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsHub } from './metrics/metrics-hub';
import { MetricsService } from './metrics/metrics.service';
import { registerServiceMetrics } from './metrics/service-metrics';
import { ServiceContext } from './service-context';
import { ServiceLogger } from './service-logger';

export interface ServiceKitModuleOptions {
  context: ServiceContext;
  bus: BusPort;
  queue: QueuePort;
  database: Database;
  logger: ServiceLogger;
  /** This service's metrics, and what its process serves on /metrics (shared by the services of one process). */
  metrics: MetricsService;
  metricsHub: MetricsHub;
}

/**
 * What every service module can inject: its `ServiceContext`, the bus and queue sockets (the
 * instances are handed in, so embedded mode shares one of each), the `HealthRegistry` and
 * its `ServiceLogger`.
 */
@Global()
@Module({})
export class ServiceKitModule {
  /** Provides the given instances; registers the bus, queue and database probes. */
  static forRoot({ context, bus, queue, database, logger, metrics, metricsHub }: ServiceKitModuleOptions): DynamicModule {
    const registry = new HealthRegistry(context, probeTimeoutMs(context.config.HEALTH_TIMEOUT_MS));
    registry.register('bus', () => bus.health());
    registry.register('queue', () => queue.health());
    registry.register('database', () => database.health.probe(probeTimeoutMs(context.config.HEALTH_TIMEOUT_MS)));
    registerServiceMetrics(metrics, context, registry, queue, probeTimeoutMs(context.config.HEALTH_TIMEOUT_MS));
    return {
      module: ServiceKitModule,
      controllers: [MetricsController],
      providers: [
        { provide: ServiceContext, useValue: context },
        { provide: BusPort, useValue: bus },
        { provide: QueuePort, useValue: queue },
        { provide: HealthRegistry, useValue: registry },
        { provide: ServiceLogger, useValue: logger },
        { provide: MetricsService, useValue: metrics },
        { provide: MetricsHub, useValue: metricsHub },
      ],
      exports: [ServiceContext, BusPort, QueuePort, HealthRegistry, ServiceLogger, MetricsService, MetricsHub],
    };
  }
}

/**
 * Half the gateway's gather window: a slow socket then shows as `down` inside a reply that
 * still arrives in time, instead of the whole instance missing the window and looking dead.
 */
export function probeTimeoutMs(healthTimeoutMs: number): number {
  return Math.max(50, Math.floor(healthTimeoutMs / 2));
}
