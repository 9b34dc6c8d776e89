import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@plugboard/config';
import { Database } from '@plugboard/database';
import { GatewayModule } from '@plugboard/gateway';
import { createBus, createQueue } from '@plugboard/messaging';
import { type ServiceHandle, bootstrapService, createServiceLogger } from '@plugboard/service-kit';
import { SessionWorkerModule } from '@plugboard/session-worker';
import { freePort } from '@plugboard/testing';

/** The admin key of every embedded test stack. */
export const STACK_KEY = 'pb_test-embedded-stack-master-key';

export interface EmbeddedStack {
  base: string;
  close(): Promise<void>;
}

/**
 * Gateway and session-worker in this process as `npm start` runs them (in-process bus and
 * queue, SQLite in a temp dir, simulator engine) on a free port; `env` overrides.
 */
export async function startEmbeddedStack(env: Record<string, string> = {}): Promise<EmbeddedStack> {
  const cwd = mkdtempSync(join(tmpdir(), 'pb-embedded-stack-'));
  const config = loadConfig({
    env: {
      BUS_TYPE: 'memory',
      QUEUE_TYPE: 'memory',
      DATA_DIR: join(cwd, 'data'),
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      API_MASTER_KEY: STACK_KEY,
      ENGINE_TYPE: 'simulator',
      SESSION_START_STAGGER_MS: '0',
      LOG_LEVEL: 'error',
      ...env,
    },
    cwd,
  });
  const logger = createServiceLogger('embedded-stack', 'error');
  const bus = createBus(config, 'embedded-stack', logger);
  const queue = createQueue(config, logger);
  const database = await Database.create(config, { migrate: true, logger });
  await database.start();
  const handles: ServiceHandle[] = [
    await bootstrapService({ service: 'gateway', module: GatewayModule, config, bus, queue, database, listen: true, logger }),
    await bootstrapService({ service: 'session-worker', module: SessionWorkerModule, config, bus, queue, database, listen: false, logger }),
  ];
  return {
    base: handles[0].url as string,
    close: async () => {
      for (const handle of handles) await handle.close();
      await queue.close();
      await database.close();
      await bus.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** One request with the stack's admin key; JSON in, JSON out. */
export async function call(
  stack: EmbeddedStack,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(`${stack.base}${path}`, {
    method,
    headers: { 'x-api-key': STACK_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
