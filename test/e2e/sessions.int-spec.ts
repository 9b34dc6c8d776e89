import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { buildWhenReachable } from './support/build';
import { isolateBackends } from './support/isolated-backends';
import { ServiceProcess, getJson, killAll, startService } from './support/service-process';
import { waitForServices } from './support/services-up';
import { type RecordedStatus, call, recordStatusEvents } from './support/sessions-http';

interface Stack {
  base: string;
  key: string;
  tag: string;
  processes: ServiceProcess[];
  /** Removes what the run left on the shared servers. */
  cleanup(): Promise<void>;
}

const UNREACHABLE = 'NATS (or PostgreSQL) unreachable';

/** Environment shared by both stacks: simulator engine on the run's isolated backends. */
function baseEnv(isolation: Record<string, string>, cwd: string, key: string): Record<string, string> {
  return {
    ...isolation,
    HOST: '127.0.0.1',
    DATA_DIR: join(cwd, 'data'),
    API_MASTER_KEY: key,
    ENGINE_TYPE: 'simulator',
    SIMULATOR_QR_ROTATE_MS: '120000',
    SIMULATOR_AUTO_PAIR_MS: '0',
    SIMULATOR_ACK_DELAY_MS: '10',
    SESSION_START_STAGGER_MS: '0',
    HEALTH_TIMEOUT_MS: '500',
    LOG_LEVEL: 'info',
  };
}

/** Waits for the stack; a stack that never comes up is torn down here, as afterAll never sees it. */
async function waitHealthy(stack: Stack, services: string[]): Promise<void> {
  await waitForServices(
    `GET /health lists ${services.join(', ')} up`,
    stack.processes,
    async () => {
      const { body } = await getJson<{ services: Record<string, string> }>(`${stack.base}/health`);
      return services.every((s) => body.services?.[s] === 'up');
    },
    { timeoutMs: 90_000 },
  ).catch(async (error: unknown) => {
    await killAll(stack.processes);
    await stack.cleanup();
    throw error;
  });
}

function decodeQrPng(bytes: Buffer): string | undefined {
  const png = PNG.sync.read(bytes);
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

/** The whole session lifecycle over HTTP, with the status events checked on NATS. */
function sessionLifecycleSuite(label: string, boot: () => Promise<Stack | undefined>): void {
  describe(label, () => {
    let stack: Stack | undefined;
    let recorder: Awaited<ReturnType<typeof recordStatusEvents>> | undefined;

    beforeAll(async () => {
      stack = await boot();
      if (stack) recorder = await recordStatusEvents(testBackends.natsUrl, stack.tag);
    }, 240_000);

    afterAll(async () => {
      await recorder?.close();
      if (stack) {
        await killAll(stack.processes);
        await stack.cleanup();
      }
    });

    const http = (method: string, path: string, options?: Parameters<typeof call>[4]) => call(stack!.base, stack!.key, method, path, options);
    const statusOf = async (id: string) => (await http('GET', `/api/sessions/${id}/status`)).body?.status as string | undefined;
    const seen = (id: string): RecordedStatus[] => recorder!.events.filter((e) => e.sessionId === id);

    it('create → qr_ready (JSON and PNG QR) → pair → ready, each step announced on NATS; stop, start, logout, delete', async ({ skip }) => {
      skip(!stack, UNREACHABLE);
      const created = await http('POST', '/api/sessions', { body: { name: 'alpha' } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ name: 'alpha', engine: 'simulator', desiredState: 'running' });
      const id = created.body.id as string;

      await waitFor('qr_ready', async () => (await statusOf(id)) === 'qr_ready', { timeoutMs: 20_000 });
      const qr = await http('GET', `/api/sessions/${id}/qr`);
      expect(qr.status).toBe(200);
      expect(qr.body).toMatchObject({ qr: expect.any(String), expiresAt: expect.any(String) });
      const png = await http('GET', `/api/sessions/${id}/qr`, { accept: 'image/png' });
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toContain('image/png');
      expect(decodeQrPng(png.bytes)).toBe(qr.body.qr);

      const paired = await http('POST', `/api/sessions/${id}/simulator/pair`);
      expect(paired.status, JSON.stringify(paired.body)).toBe(200);
      await waitFor('ready', async () => (await statusOf(id)) === 'ready', { timeoutMs: 20_000 });
      await waitFor('the ready event on NATS', () => seen(id).some((e) => e.status === 'ready'));
      const steps = seen(id).map((e) => e.status);
      expect(steps.slice(0, 2)).toEqual(['initializing', 'qr_ready']);
      expect(steps.indexOf('ready')).toBeGreaterThan(steps.indexOf('qr_ready'));
      expect(seen(id)[0].previous).toBe('created');

      const view = await http('GET', `/api/sessions/${id}`);
      expect(view.body).toMatchObject({ status: 'ready', phone: expect.any(String), owner: expect.any(String) });
      const list = await http('GET', '/api/sessions');
      expect(list.body.sessions.map((s: { id: string }) => s.id)).toContain(id);

      const stopped = await http('POST', `/api/sessions/${id}/stop`);
      expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
      expect(stopped.body).toMatchObject({ status: 'stopped', desiredState: 'stopped', owner: null });
      await waitFor('stopped event', () => seen(id).some((e) => e.status === 'stopped'));
      expect(await statusOf(id)).toBe('stopped');

      const started = await http('POST', `/api/sessions/${id}/start`);
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      // Still paired on the simulated phone: it comes back without a new QR.
      await waitFor('ready after start', async () => (await statusOf(id)) === 'ready', { timeoutMs: 20_000 });
      const again = await http('POST', `/api/sessions/${id}/start`);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'CONFLICT', details: { status: 'ready' } });
      const qrWhenReady = await http('GET', `/api/sessions/${id}/qr`);
      expect(qrWhenReady.status).toBe(409);
      expect(qrWhenReady.body.error).toMatchObject({ code: 'CONFLICT', details: { status: 'ready' } });

      const loggedOut = await http('POST', `/api/sessions/${id}/logout`);
      expect(loggedOut.status, JSON.stringify(loggedOut.body)).toBe(200);
      expect(loggedOut.body).toMatchObject({ status: 'stopped', desiredState: 'stopped' });
      const logoutAgain = await http('POST', `/api/sessions/${id}/logout`);
      expect(logoutAgain.status).toBe(409);

      const deleted = await http('DELETE', `/api/sessions/${id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ deleted: true });
      expect((await http('GET', `/api/sessions/${id}`)).status).toBe(404);
      expect((await http('GET', `/api/sessions/${id}/status`)).status).toBe(404);
    });

    it('answers bad input with coded errors: 409 duplicate/wrong state, 404 unknown, 400 engine/JSON/id', async ({ skip }) => {
      skip(!stack, UNREACHABLE);
      const first = await http('POST', '/api/sessions', { body: { name: 'beta', start: false } });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ status: 'created', desiredState: 'stopped' });
      const duplicate = await http('POST', '/api/sessions', { body: { name: 'beta' } });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.error.code).toBe('CONFLICT');

      const unknown = await http('GET', '/api/sessions/00000000-0000-4000-8000-000000000000');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('NOT_FOUND');
      expect((await http('POST', '/api/sessions/00000000-0000-4000-8000-000000000000/start')).status).toBe(404);

      const stopStopped = await http('POST', `/api/sessions/${first.body.id}/stop`);
      expect(stopStopped.status).toBe(409);
      expect(stopStopped.body.error).toMatchObject({ code: 'CONFLICT', details: { status: 'created' } });
      const qrStopped = await http('GET', `/api/sessions/${first.body.id}/qr`);
      expect(qrStopped.status).toBe(409);
      const wweb = await http('POST', '/api/sessions', { body: { name: 'gamma', engine: 'whatsapp-web.js', start: false } });
      expect(wweb.status).toBe(201);
      const pairWweb = await http('POST', `/api/sessions/${wweb.body.id}/simulator/pair`);
      expect(pairWweb.status).toBe(409);
      expect(pairWweb.body.error.details).toMatchObject({ status: 'created' });

      const badEngine = await http('POST', '/api/sessions', { body: { name: 'delta', engine: 'telegram' } });
      expect(badEngine.status).toBe(400);
      expect(badEngine.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(badEngine.body.error.details)).toContain('whatsapp-web.js, simulator');
      const malformed = await http('POST', '/api/sessions', { raw: '{"name": "x",' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(malformed.body)).not.toContain('    at ');
      const noName = await http('POST', '/api/sessions', { body: { engine: 'simulator' } });
      expect(noName.status).toBe(400);
      const badId = await http('GET', '/api/sessions/not.a.valid.id');
      expect(badId.status).toBe(400);
      expect((await call(stack!.base, 'wrong-key', 'GET', '/api/sessions')).status).toBe(401);
    });
  });
}

sessionLifecycleSuite('sessions over HTTP: embedded process on SQLite', async () => {
  if (!(await buildWhenReachable('NATS'))) return undefined;
  const tag = uniqueName('pbsess').replace(/-/g, '_');
  const cwd = mkdtempSync(join(tmpdir(), 'pb-sessions-embedded-'));
  const port = await freePort();
  const key = `pb_${tag}_admin-key-of-this-run`;
  const backends = await isolateBackends({ tag, queue: 'memory' });
  const stack: Stack = { base: `http://127.0.0.1:${port}`, key, tag, processes: [], cleanup: backends.cleanup };
  stack.processes.push(startService('embedded', { ...baseEnv(backends.env, cwd, key), PORT: String(port) }, cwd));
  await waitHealthy(stack, ['gateway', 'session-worker']);
  return stack;
});

sessionLifecycleSuite('sessions over HTTP: separate processes on NATS + Redis + PostgreSQL', async () => {
  if (!(await buildWhenReachable('NATS', 'Redis', 'PostgreSQL'))) return undefined;
  const tag = uniqueName('pbsessd').replace(/-/g, '_');
  const backends = await isolateBackends({ tag, queue: 'bullmq', redisCache: true, database: 'pb_sessions_test' });
  const cwd = mkdtempSync(join(tmpdir(), 'pb-sessions-distributed-'));
  const key = `pb_${tag}_admin-key-of-this-run`;
  const env = {
    ...baseEnv(backends.env, cwd, key),
    EXPECTED_SERVICES: 'gateway,session-worker,infra-admin',
  };
  const gatewayPort = await freePort();
  const stack: Stack = { base: `http://127.0.0.1:${gatewayPort}`, key, tag, processes: [], cleanup: backends.cleanup };
  stack.processes.push(startService('infra-admin', { ...env, HTTP_PORT: String(await freePort()) }, cwd));
  stack.processes.push(startService('session-worker', { ...env, HTTP_PORT: String(await freePort()) }, cwd));
  stack.processes.push(startService('gateway', { ...env, PORT: String(gatewayPort) }, cwd));
  await waitHealthy(stack, ['gateway', 'session-worker', 'infra-admin']);
  return stack;
});

