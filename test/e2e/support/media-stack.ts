import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@plugboard/testing';
import { isolateBackends } from './isolated-backends';
import { type ServiceProcess, getJson, killAll, startService } from './service-process';
import { waitForServices } from './services-up';

export interface MediaStackOptions {
  /** The run's isolation tag (subject prefix, events stream). */
  tag: string;
  /** Name prefix of the run's PostgreSQL database (must contain "test"). */
  database: string;
  /** A gateway route (GET with the admin key) that answers 200 once the media-service serves it. */
  readyRoute: string;
  /** Settings added to (or overriding) the common environment. */
  env?: Record<string, string>;
}

export interface MediaStack {
  base: string;
  /** The admin key, as request headers. */
  auth: { 'x-api-key': string };
  /** Working directory of the processes: DATA_DIR is `<cwd>/data`, local files are in `<cwd>/media-local`. */
  cwd: string;
  /** The media-service's own HTTP base (health). */
  mediaBase: string;
  /** The media-service started last. */
  media(): ServiceProcess;
  /** SIGKILLs the media-service if it runs and starts it again with `extra` settings, on the same port. */
  restartMedia(extra?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/**
 * Gateway, infra-admin (PostgreSQL migrations) and a media-service that a test may kill and
 * restart, as separate processes over NATS and PostgreSQL (in-process queue of the defaults).
 */
export async function startMediaStack(options: MediaStackOptions): Promise<MediaStack> {
  const { tag } = options;
  const key = `pb_${tag}_admin-key-for-this-run`;
  const auth = { 'x-api-key': key };
  const backends = await isolateBackends({ tag, database: options.database });
  const cwd = mkdtempSync(join(tmpdir(), `pb-${tag}-`));
  const mediaPort = await freePort();
  const gatewayPort = await freePort();
  const base = `http://127.0.0.1:${gatewayPort}`;
  const mediaBase = `http://127.0.0.1:${mediaPort}`;
  const env: Record<string, string> = {
    ...backends.env,
    HOST: '127.0.0.1',
    DATA_DIR: join(cwd, 'data'),
    API_MASTER_KEY: key,
    MEDIA_SERVICE_URL: mediaBase,
    INTERNAL_TOKEN: `${tag}-internal-token`,
    STORAGE_LOCAL_PATH: join(cwd, 'media-local'),
    ...options.env,
  };
  const all: ServiceProcess[] = [];
  let media: ServiceProcess | undefined;
  all.push(startService('infra-admin', { ...env, HTTP_PORT: String(await freePort()) }, cwd));
  all.push(startService('gateway', { ...env, PORT: String(gatewayPort) }, cwd));

  const stack: MediaStack = {
    base,
    auth,
    cwd,
    mediaBase,
    media: () => media!,
    restartMedia: async (extra = {}) => {
      media?.kill('SIGKILL');
      if (media) await media.exited;
      media = startService('media-service', { ...env, HTTP_PORT: String(mediaPort), ...extra }, cwd);
      all.push(media);
      await waitForServices('media-service ready', [media], async () => (await getJson(`${mediaBase}/health/live`)).status === 200, {
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      await waitFor(`GET ${options.readyRoute} answers`, async () => (await getJson(`${base}${options.readyRoute}`, auth)).status === 200, {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    },
    close: async () => {
      await killAll(all);
      await backends.cleanup();
    },
  };
  try {
    await stack.restartMedia();
  } catch (error) {
    await stack.close();
    throw error;
  }
  return stack;
}
