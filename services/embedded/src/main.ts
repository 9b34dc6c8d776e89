import 'reflect-metadata';
import { loadConfigOrExit } from '@plugboard/config';
import { Database } from '@plugboard/database';
import { createBus, createQueue } from '@plugboard/messaging';
import { MediaStreamsSwitch, MetricsHub, ServiceHandle, bootstrapService, createServiceLogger, installGracefulShutdown } from '@plugboard/service-kit';
import { AdminKey, DataTransferSwitch, GatewayModule } from '@plugboard/gateway';
import { DataTransfer, MediaStreams } from '@plugboard/contracts';
import { InfraAdminModule } from '@plugboard/infra-admin';
import { MediaServiceModule } from '@plugboard/media-service';
import { SessionWorkerModule } from '@plugboard/session-worker';
import { SERVICE_NAMES } from '@plugboard/contracts';
import { listenForRestart } from '@plugboard/service-kit';

/**
 * `npm start`: the four services in one process over one in-process bus and one in-process
 * queue (unless the environment picks other plugs). Only the gateway listens on HTTP.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit({ env: { BUS_TYPE: 'memory', QUEUE_TYPE: 'memory', ...process.env } });
  const logger = createServiceLogger('embedded', config.LOG_LEVEL, { config });
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
    // The media-service before the session-worker: a session may receive media as soon as it runs.
    const media = await bootstrapService({ service: 'media-service', module: MediaServiceModule, config, bus, queue, database, metricsHub, listen: false });
    handles.push(media);
    // No internal HTTP port in one process: the gateway and the session-worker call the media-service's streams directly.
    const inProcessMedia = media.app.get(MediaStreams);
    handles[0].app.get(MediaStreamsSwitch).use(inProcessMedia);
    const worker = await bootstrapService({ service: 'session-worker', module: SessionWorkerModule, config, bus, queue, database, metricsHub, listen: false });
    worker.app.get(MediaStreamsSwitch).use(inProcessMedia);
    // Closed before the media-service it streams to.
    handles.splice(1, 0, worker);
    const infra = await bootstrapService({ service: 'infra-admin', module: InfraAdminModule, config, bus, queue, database, metricsHub, listen: false });
    handles.push(infra);
    // Data export/import streams too: the gateway calls infra-admin's classes directly.
    handles[0].app.get(DataTransferSwitch).use(infra.app.get(DataTransfer));
  } catch (error) {
    logger.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await closeAll().catch(() => undefined);
    process.exit(1);
  }

  const uninstallShutdown = installGracefulShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    beginShutdown: () => handles.forEach((h) => h.beginShutdown()),
    drain: closeAll,
  });

  const gateway = handles[0];
  const key = gateway.app.get(AdminKey);
  logger.log(`Plugboard ${gateway.context.version} is up (bus: ${bus.plug}, queue: ${queue.plug})`);
  logger.log(`Gateway: ${gateway.url}`);
  if (key.source === 'generated') {
    // The one intended disclosure of a secret in the logs: a key generated on first boot is
    // printed once, so a new user can call the API at all. It is no configured value, so the
    // logger's redaction lets it through; every later boot prints only where the key is.
    logger.log(`Admin API key (generated, saved in ${key.file}): ${key.value}`);
  } else {
    logger.log(key.source === 'env' ? 'Admin API key: from API_MASTER_KEY' : `Admin API key: read from ${key.file}`);
  }

  // Restart requested (ORCHESTRATOR=none): all four close and boot again in this process, same PID
  // and port, with the configuration loaded again, so a new .env.generated applies.
  await listenForRestart(bus, SERVICE_NAMES, () => {
    uninstallShutdown();
    handles.forEach((h) => h.beginShutdown());
    logger.log('restarting in place');
    void closeAll().then(main, (error: unknown) => {
      logger.error(`restart failed while closing: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
  }, logger);
}

void main();
