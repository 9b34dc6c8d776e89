import { waitFor } from '@plugboard/testing';
import { type ServiceProcess, getJson } from './service-process';

/**
 * Polls `check` as `waitFor` does, while `processes` boot. A process that exits fails the wait
 * at once with the end of its output: from then on the check could only time out.
 */
export async function waitForServices<T>(
  what: string,
  processes: Iterable<ServiceProcess>,
  check: () => Promise<T | undefined | null | false>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const watched = [...processes];
  const exited = Promise.race(watched.map((p) => p.exited.then(() => p))).then((p) => {
    throw new Error(`${p.name} exited while waiting for ${what}:\n${p.output().slice(-4_000)}`);
  });
  const up = waitFor(what, check, { intervalMs: 250, ...options });
  // Whichever loses the race must not surface as an unhandled rejection.
  exited.catch(() => undefined);
  up.catch(() => undefined);
  return Promise.race([up, exited]);
}

/** True when the gateway's GET /health says `ok`: every expected service answers. */
export async function healthOk(base: string): Promise<boolean> {
  return (await getJson<{ status: string }>(`${base}/health`)).body.status === 'ok';
}

export type InfraServices = Record<string, { status: string; instances: unknown[] } | undefined>;

/** The services GET /api/infra/status reports, by name (none while nothing has registered). */
export async function infraServices(base: string, key: string): Promise<InfraServices> {
  return (await getJson<{ services?: InfraServices }>(`${base}/api/infra/status`, { 'x-api-key': key })).body?.services ?? {};
}
