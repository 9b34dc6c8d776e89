import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppConfig, loadConfig } from '@plugboard/config';
import { MediaStreams } from '@plugboard/contracts';
import { Database } from '@plugboard/database';
import { GatewayModule } from '@plugboard/gateway';
import { MediaServiceModule } from '@plugboard/media-service';
import { type BusPort, type QueuePort, createBus, createQueue } from '@plugboard/messaging';
import { MediaStreamsSwitch, type ServiceHandle, bootstrapService, createServiceLogger } from '@plugboard/service-kit';
import { freePort } from '@plugboard/testing';

export const GATEWAY_KEY = 'pb_test-gateway-stack-master-key';

export interface GatewayStack {
  base: string;
  config: AppConfig;
  bus: BusPort;
  queue: QueuePort;
  database: Database;
  gateway: ServiceHandle;
  close(): Promise<void>;
}

/**
 * The gateway and the media-service in this process, without a session-worker: sends stay
 * `pending` with their jobs waiting, so a test sees exactly what the gateway wrote and added.
 * Memory bus and queue and SQLite in a temp dir unless `env` picks other plugs.
 */
export async function startGatewayStack(env: Record<string, string> = {}): Promise<GatewayStack> {
  const cwd = mkdtempSync(join(tmpdir(), 'pb-gateway-stack-'));
  const config = loadConfig({
    env: {
      BUS_TYPE: 'memory',
      QUEUE_TYPE: 'memory',
      DATA_DIR: join(cwd, 'data'),
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      API_MASTER_KEY: GATEWAY_KEY,
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      ...env,
    },
    cwd,
  });
  const logger = createServiceLogger('gateway-stack', 'error');
  const bus = createBus(config, 'gateway-stack', logger);
  const queue = createQueue(config, logger);
  const database = await Database.create(config, { migrate: true, logger });
  await database.start();
  const gateway = await bootstrapService({ service: 'gateway', module: GatewayModule, config, bus, queue, database, listen: true, logger });
  const media = await bootstrapService({ service: 'media-service', module: MediaServiceModule, config, bus, queue, database, listen: false, logger });
  gateway.app.get(MediaStreamsSwitch).use(media.app.get(MediaStreams));
  return {
    base: gateway.url as string,
    config,
    bus,
    queue,
    database,
    gateway,
    close: async () => {
      await gateway.close();
      await media.close();
      await queue.close();
      await database.close();
      await bus.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** A session row in the given status, as a session-worker would have left it. */
export async function seedSession(stack: GatewayStack, name: string, status: 'ready' | 'stopped' | 'qr_ready' = 'ready'): Promise<string> {
  const session = await stack.database.sessions.create({ name, engine: 'simulator' });
  await stack.database.sessions.update(session.id, { status, phone: '15550001111' });
  return session.id;
}

