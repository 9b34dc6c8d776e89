import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsServerHandle, backendReachable, freePort, startNatsServer, testBackends, waitFor } from '@plugboard/testing';
import { buildOnce } from './support/build';
import { ServiceProcess, getJson, killAll, startService } from './support/service-process';

interface Summary {
  status: string;
  services: Record<string, string>;
}

// Services on their own nats-server (never the shared one): stop it, start it again on the same
// port, and the same processes come back to `ok` by themselves.
describe('services riding out a NATS restart', () => {
  let nats: NatsServerHandle;
  const processes: ServiceProcess[] = [];
  let base: string;

  beforeAll(async () => {
    // The private server needs the nats-server binary the shared one runs from.
    await backendReachable('NATS', testBackends.natsUrl);
    await buildOnce();
    nats = await startNatsServer({ jetstream: true });
    const cwd = mkdtempSync(join(tmpdir(), 'pb-nats-restart-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = {
      BUS_TYPE: 'nats',
      NATS_URL: nats.url,
      QUEUE_TYPE: 'memory',
      HOST: '127.0.0.1',
      API_MASTER_KEY: 'pb_nats_restart_test_admin_key_0123456789',
      EXPECTED_SERVICES: 'gateway,infra-admin',
      HEALTH_TIMEOUT_MS: '500',
      LOG_LEVEL: 'warn',
    };
    processes.push(startService('gateway', { ...env, PORT: String(port), DATA_DIR: join(cwd, 'gateway') }, cwd));
    processes.push(
      startService('infra-admin', { ...env, HTTP_PORT: String(await freePort()), DATA_DIR: join(cwd, 'infra-admin') }, cwd),
    );
    await waitFor('GET /health = ok', async () => (await getJson<Summary>(`${base}/health`)).body.status === 'ok', {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  }, 120_000);

  afterAll(async () => {
    await killAll(processes);
    await nats?.dispose();
  });

  it('reports down while NATS is gone and ok again once it is back, without restarting any service', async () => {
    await nats.stop();
    await waitFor('GET /health != ok', async () => (await getJson<Summary>(`${base}/health`)).body.status !== 'ok', {
      timeoutMs: 20_000,
      intervalMs: 250,
    });

    await nats.restart();
    const back = Date.now();
    await waitFor('GET /health = ok again', async () => (await getJson<Summary>(`${base}/health`)).body.status === 'ok', {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    console.log(`nats-restart: /health ok ${((Date.now() - back) / 1000).toFixed(2)} s after nats-server came back`);
    for (const p of processes) expect(p.child.exitCode, `${p.name} exited:\n${p.output()}`).toBeNull();
  });
});
