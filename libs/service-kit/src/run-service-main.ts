import type { Type } from '@nestjs/common';
import { loadConfigOrExit } from '@plugboard/config';
import type { ServiceName } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import { bootstrapService } from './bootstrap-service';
import { installGracefulShutdown } from './graceful-shutdown';
import { listenForRestart } from './restart-listener';
import { createServiceLogger } from './service-logger';

/** Readiness answers 503 this long before a service run alone closes its ports. */
const READINESS_GRACE_MS = 1_000;

/** The `main.ts` of a service run as its own process: config, refusal of the in-process bus, boot, shutdown. */
export async function runServiceMain(service: ServiceName, module: Type<unknown>): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createServiceLogger(service, config.LOG_LEVEL, { config });
  if (config.BUS_TYPE === 'memory') {
    logger.error(
      `${service} cannot run alone with BUS_TYPE=memory: an in-process bus cannot reach the other services. ` +
        'Set BUS_TYPE=nats and NATS_URL, or run all four with `npm start`.',
    );
    process.exit(1);
  }
  try {
    const handle = await bootstrapService({ service, module, config, listen: true, logger });
    installGracefulShutdown({
      logger,
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      readinessGraceMs: READINESS_GRACE_MS,
      beginShutdown: () => handle.beginShutdown(),
      drain: () => handle.close(),
    });
    // A restart request is a SIGTERM: readiness 503, drain, exit 0, and the supervisor starts it again.
    await listenForRestart(handle.app.get(BusPort), [service], () => process.kill(process.pid, 'SIGTERM'), logger);
    logger.log(`${service} ${handle.context.version} (${handle.context.instanceId}) listening on ${handle.url}`);
  } catch (error) {
    logger.error(`${service} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
