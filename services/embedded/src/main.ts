import 'reflect-metadata';
import { loadConfigOrExit } from '@plugboard/config';
import { Database } from '@plugboard/database';
import { createBus, createQueue } from '@plugboard/messaging';
import { MetricsHub, ServiceHandle, bootstrapService, createServiceLogger, installGracefulShutdown } from '@plugboard/service-kit';
import { AdminKey, GatewayModule, MediaStreamsSwitch } from '@plugboard/gateway';
import { MediaStreams } from '@plugboard/contracts';
import { InfraAdminModule } from '@plugboard/infra-admin';
import { MediaServiceModule } from '@plugboard/media-service';
import { SessionWorkerModule } from '@plugboard/session-worker';

/**
 * `npm start`: the four services in one process over one in-process bus and one in-process
 * queue (unless the environment picks other plugs). Only the gateway listens on HTTP.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit({ env: { BUS_TYPE: 'memory', QUEUE_TYPE: 'memory', ...process.env } });
  const logger = createServiceLogger('embedded', config.LOG_LEVEL);
  const bus = createBus(config, 'embedded', logger);
  const queue = createQueue(config, logger);
  // One process, one database connection: it applies migrations itself (no infra-admin elsewhere).
  const database = await Database.create(config, { migrate: true, logger });
  const handles: ServiceHandle[] = [];
  // One /metrics for the process: the gateway's shows all four services.
  const metricsHub = new MetricsHub();
  const closeAll = async () => {
    // Gateway first: no new HTTP work while the others drain; bus last, in-flight jobs may still publish.
    for (const handle of handles) await handle.close();
    await queue.close();
    await database.close();
    await bus.close();
  };

  try {
    await database.start();
    handles.push(await bootstrapService({ service: 'gateway', module: GatewayModule, config, bus, queue, database, metricsHub, listen: true }));
    handles.push(await bootstrapService({ service: 'session-worker', module: SessionWorkerModule, config, bus, queue, database, metricsHub, listen: false }));
    const media = await bootstrapService({ service: 'media-service', module: MediaServiceModule, config, bus, queue, database, metricsHub, listen: false });
    handles.push(media);
    // No internal HTTP port in one process: the gateway calls the media-service's streams directly.
    handles[0].app.get(MediaStreamsSwitch).use(media.app.get(MediaStreams));
    handles.push(await bootstrapService({ service: 'infra-admin', module: InfraAdminModule, config, bus, queue, database, metricsHub, listen: false }));
  } catch (error) {
    logger.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await closeAll().catch(() => undefined);
    process.exit(1);
  }

  installGracefulShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    beginShutdown: () => handles.forEach((h) => h.beginShutdown()),
    drain: closeAll,
  });

  const gateway = handles[0];
  const key = gateway.app.get(AdminKey);
  logger.log(`Plugboard ${gateway.context.version} is up (bus: ${bus.plug}, queue: ${queue.plug})`);
  logger.log(`Gateway: ${gateway.url}`);
  logger.log(
    key.source === 'env'
      ? 'Admin API key: from API_MASTER_KEY'
      : `Admin API key (${key.source === 'generated' ? 'generated, saved in' : 'read from'} ${key.file}): ${key.value}`,
  );
}

void main();
