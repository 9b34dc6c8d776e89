import { DynamicModule, Module, Type } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, ConfigModule } from '@plugboard/config';
import type { ServiceName } from '@plugboard/contracts';
import { Database, DatabaseModule } from '@plugboard/database';
import { BusPort, QueuePort, createBus, createQueue } from '@plugboard/messaging';
import { BusTransport } from './bus-transport';
import { HealthRegistry } from './health/health-registry';
import { CodedExceptionFilter } from './coded-exception.filter';
import { HttpAppConfigurer } from './http-app-configurer';
import { hardenHttp } from './http-hardening';
import { installHttpMetrics } from './metrics/http-metrics';
import { MetricsHub } from './metrics/metrics-hub';
import { MetricsService } from './metrics/metrics.service';
import { ServiceContext } from './service-context';
import { applyHeapGrowth } from './heap-growth';
import { ServiceKitModule } from './service-kit.module';
import { ServiceLogger, createServiceLogger } from './service-logger';
import { registerSecretValues } from './logging/secret-redaction';
import { installRequestTracing } from './tracing/http-request-tracing';
import { startTracing } from './tracing/tracing-setup';

/** `HTTP_PORT` defaults of the services run alone; the gateway listens on `PORT`. */
export const DEFAULT_HTTP_PORTS: Record<Exclude<ServiceName, 'gateway'>, number> = {
  'session-worker': 3001,
  'media-service': 3002,
  'infra-admin': 3003,
};

export interface BootstrapServiceOptions {
  service: ServiceName;
  /** The service's own Nest module. */
  module: Type<unknown>;
  config: AppConfig;
  /** Shared bus; when omitted one is created for this service and closed with it. */
  bus?: BusPort;
  /** Shared queue; when omitted one is created for this service and closed with it. */
  queue?: QueuePort;
  /** Shared database; when omitted one is created (and started) for this service and closed with it. */
  database?: Database;
  /** Listen on HTTP (separate process, or the gateway in embedded mode). */
  listen: boolean;
  /** Defaults to a logger prefixed with the service name. */
  logger?: ServiceLogger;
  /** What the process serves on /metrics; embedded mode shares one so the gateway shows all four services. Defaults to a hub of its own. */
  metricsHub?: MetricsHub;
}

export interface ServiceHandle {
  readonly service: ServiceName;
  readonly app: NestFastifyApplication;
  readonly context: ServiceContext;
  readonly health: HealthRegistry;
  /** `http://host:port` when listening. */
  readonly url?: string;
  /** Readiness turns 503 at once; nothing is closed yet. */
  beginShutdown(): void;
  /** Closes HTTP and bus handlers, then the bus and queue this service created itself. */
  close(): Promise<void>;
}

@Module({})
class ServiceRootModule {}

/**
 * Boots one service: its Nest app on Fastify with the kit's providers, the bus transport for
 * its `@MessagePattern`/`@EventPattern` handlers, and HTTP when `listen`.
 */
export async function bootstrapService(options: BootstrapServiceOptions): Promise<ServiceHandle> {
  const { service, config } = options;
  const context = ServiceContext.create(service, config);
  registerSecretValues(config);
  applyHeapGrowth(config.HEAP_GROWTH_PERCENT);
  const logger = options.logger ?? createServiceLogger(service, config.LOG_LEVEL, { instance: context.instanceId });
  logger.bindInstance(context.instanceId);
  // Once per process; a process handed a shared bus runs several services, so it is named after the product.
  const tracing = startTracing({
    serviceName: options.bus ? 'plugboard' : service,
    version: context.version,
    instanceId: context.instanceId,
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const bus = options.bus ?? createBus(config, service, logger);
  const queue = options.queue ?? createQueue(config, logger);
  const database = options.database ?? (await createServiceDatabase(service, config, logger));
  const owned = async () => {
    if (!options.database) await database.close();
    if (!options.queue) await queue.close();
    if (!options.bus) await bus.close();
  };
  const metrics = new MetricsService(service);
  const metricsHub = options.metricsHub ?? new MetricsHub();
  // Before listening, so the first scrape already sees this service.
  metricsHub.add(metrics);
  const root: DynamicModule = {
    module: ServiceRootModule,
    imports: [
      ConfigModule.forRoot(config),
      ServiceKitModule.forRoot({ context, bus, queue, database, logger, metrics, metricsHub }),
      DatabaseModule.forInstance(database),
      options.module,
    ],
  };

  let app: NestFastifyApplication | undefined;
  try {
    // trustProxy: behind a proxy request.ip is otherwise the proxy's, for key ipRanges, the per-IP rate limit and the audit log.
    const adapter = new FastifyAdapter({ trustProxy: config.TRUST_PROXY });
    // bodyParser: false — hardenHttp installs the JSON and form parsers with BODY_SIZE_LIMIT instead.
    app = await NestFactory.create<NestFastifyApplication>(root, adapter, { logger, abortOnError: false, bodyParser: false });
    app.useGlobalFilters(new CodedExceptionFilter(logger));
    // First, so every later hook and handler runs with the request id and span active.
    installRequestTracing(app.getHttpAdapter().getInstance(), {
      service,
      logDebug: (line) => logger.debug(line, 'Http'),
      isDebugEnabled: () => logger.isLevelEnabled('debug'),
    });
    hardenHttp(app.getHttpAdapter().getInstance(), config.BODY_SIZE_LIMIT);
    installHttpMetrics(app.getHttpAdapter().getInstance(), metrics);
    await optionalProvider(app, HttpAppConfigurer)?.configure(app);
    // inheritAppConfig: the bus handlers get the same filter; set afterwards it would come too late.
    app.connectMicroservice({ strategy: new BusTransport(bus, { service }) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    let url: string | undefined;
    if (options.listen) url = await listen(app, service, config);
    else await app.init();
    const health = app.get(HealthRegistry);
    const nest = app;
    return {
      service,
      app: nest,
      context,
      health,
      url,
      beginShutdown: () => health.markShuttingDown(),
      close: async () => {
        health.markShuttingDown();
        await nest.close();
        metricsHub.remove(metrics);
        await owned();
        await tracing.flush();
      },
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    metricsHub.remove(metrics);
    await owned().catch(() => undefined);
    throw error;
  }
}

/** A provider the service module may or may not declare. */
function optionalProvider<T>(app: NestFastifyApplication, token: abstract new (...args: never[]) => T): T | undefined {
  // Looked up in the module graph first: app.get() of a missing provider logs an error.
  const declared = [...app.get(ModulesContainer).values()].some((module) => module.providers.has(token));
  return declared ? app.get(token, { strict: false }) : undefined;
}

/**
 * A service run alone gets its own database connection. On PostgreSQL only infra-admin applies
 * migrations (under the advisory lock); the others wait until the schema is current.
 */
async function createServiceDatabase(service: ServiceName, config: AppConfig, logger: ServiceLogger): Promise<Database> {
  const database = await Database.create(config, { migrate: service === 'infra-admin', logger });
  await database.start();
  return database;
}

async function listen(app: NestFastifyApplication, service: ServiceName, config: AppConfig): Promise<string> {
  const port = service === 'gateway' ? config.PORT : (config.HTTP_PORT ?? DEFAULT_HTTP_PORTS[service]);
  await app.listen(port, config.HOST);
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
