import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Type } from '@nestjs/common';
import { type AppConfig, loadConfig } from '@plugboard/config';
import type { ServiceName } from '@plugboard/contracts';
import { Database } from '@plugboard/database';
import { type BusPort, type QueuePort, createBus, createQueue } from '@plugboard/messaging';
import { type ServiceHandle, bootstrapService, createServiceLogger } from '@plugboard/service-kit';
import { freePort } from '@plugboard/testing';

export interface InProcessService {
  service: ServiceName;
  /** The service's own Nest module. */
  module: Type<unknown>;
}

export interface InProcessStack {
  /** HTTP base of the first service, the only one listening. */
  base: string;
  config: AppConfig;
  bus: BusPort;
  queue: QueuePort;
  database: Database;
  /** The services in start order. */
  handles: ServiceHandle[];
  /** Closes the services in start order, then the queue, the database and the bus; removes the temp dir. */
  close(): Promise<void>;
}

/**
 * Services in this process sharing one bus, queue and database, as `npm start` runs them: memory
 * bus and queue and SQLite in a temp dir unless `env` picks other plugs; the first service
 * listens on a free port.
 */
export async function startInProcessStack(name: string, services: InProcessService[], env: Record<string, string>): Promise<InProcessStack> {
  const cwd = mkdtempSync(join(tmpdir(), `pb-${name}-`));
  const config = loadConfig({
    env: {
      BUS_TYPE: 'memory',
      QUEUE_TYPE: 'memory',
      DATA_DIR: join(cwd, 'data'),
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      LOG_LEVEL: 'error',
      ...env,
    },
    cwd,
  });
  const logger = createServiceLogger(name, 'error');
  const bus = createBus(config, name, logger);
  const queue = createQueue(config, logger);
  const database = await Database.create(config, { migrate: true, logger });
  await database.start();
  const handles: ServiceHandle[] = [];
  for (const [i, { service, module }] of services.entries()) {
    handles.push(await bootstrapService({ service, module, config, bus, queue, database, listen: i === 0, logger }));
  }
  return {
    base: handles[0].url as string,
    config,
    bus,
    queue,
    database,
    handles,
    close: async () => {
      for (const handle of handles) await handle.close();
      await queue.close();
      await database.close();
      await bus.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
