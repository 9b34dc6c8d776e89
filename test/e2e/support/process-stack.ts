import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@plugboard/testing';
import { type IsolatedBackends, type IsolationOptions, isolateBackends } from './isolated-backends';
import { type ServiceProcess, killAll, startService } from './service-process';
import { infraServices, waitForServices } from './services-up';

export interface ProcessStackOptions extends IsolationOptions {
  /** Name prefix of the run's PostgreSQL database (must contain "test"). */
  database: string;
  /** INSTANCE_IDs of the session-workers to start. */
  workers: readonly string[];
  /** A media-service too, storing files on local disk. */
  media?: boolean;
  /** Settings added to (or overriding) the common environment. */
  env?: Record<string, string>;
}

export interface ProcessStack {
  base: string;
  key: string;
  backends: IsolatedBackends;
  processes: ServiceProcess[];
  /** Session-workers by INSTANCE_ID. */
  workers: Map<string, ServiceProcess>;
  /** Each session-worker's own HTTP base (health, metrics). */
  workerBases: Map<string, string>;
  /** Kills every process and removes the run's database, stream and queue keys. */
  close(): Promise<void>;
}

/**
 * Gateway, infra-admin, the given session-workers and optionally the media-service as separate
 * processes on the run's isolated backends, with the simulator engine; resolves once infra
 * status lists every worker and every other service up.
 */
export async function startProcessStack(options: ProcessStackOptions): Promise<ProcessStack> {
  const { tag } = options;
  const key = `pb_${tag}_admin-key-for-this-run`;
  const backends = await isolateBackends(options);
  const cwd = mkdtempSync(join(tmpdir(), `pb-${tag}-`));
  const others = ['gateway', 'infra-admin', ...(options.media ? ['media-service'] : [])];
  const gatewayPort = await freePort();
  const mediaPort = options.media ? await freePort() : 0;
  const env: Record<string, string> = {
    ...backends.env,
    HOST: '127.0.0.1',
    DATA_DIR: join(cwd, 'data'),
    API_MASTER_KEY: key,
    EXPECTED_SERVICES: [...others, 'session-worker'].join(','),
    ...(options.media ? { MEDIA_SERVICE_URL: `http://127.0.0.1:${mediaPort}`, STORAGE_LOCAL_PATH: join(cwd, 'media') } : {}),
    ENGINE_TYPE: 'simulator',
    SIMULATOR_QR_ROTATE_MS: '60000',
    HEALTH_TIMEOUT_MS: '500',
    ...options.env,
  };
  const processes: ServiceProcess[] = [];
  const workers = new Map<string, ServiceProcess>();
  const workerBases = new Map<string, string>();
  processes.push(startService('infra-admin', { ...env, HTTP_PORT: String(await freePort()) }, cwd));
  if (options.media) processes.push(startService('media-service', { ...env, HTTP_PORT: String(mediaPort) }, cwd));
  for (const id of options.workers) {
    const port = await freePort();
    const worker = startService('session-worker', { ...env, INSTANCE_ID: id, HTTP_PORT: String(port) }, cwd);
    workers.set(id, worker);
    workerBases.set(id, `http://127.0.0.1:${port}`);
    processes.push(worker);
  }
  processes.push(startService('gateway', { ...env, PORT: String(gatewayPort) }, cwd));
  const base = `http://127.0.0.1:${gatewayPort}`;
  const stack: ProcessStack = {
    base,
    key,
    backends,
    processes,
    workers,
    workerBases,
    close: async () => {
      await killAll(processes);
      await backends.cleanup();
    },
  };

  try {
    await waitForServices(
      `${others.join(', ')} up with ${options.workers.length} session-worker(s)`,
      processes,
      async () => {
        const services = await infraServices(base, key);
        return services['session-worker']?.instances.length === options.workers.length && others.every((s) => services[s]?.status === 'up');
      },
      // Several Node processes booting at once on a loaded 2-core machine can take a while.
      { timeoutMs: 120_000 },
    );
  } catch (error) {
    await stack.close();
    throw error;
  }
  return stack;
}
