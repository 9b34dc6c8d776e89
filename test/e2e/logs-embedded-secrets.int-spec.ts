import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@plugboard/testing';
import { buildOnce } from './support/build';
import { type ServiceProcess, getJson, killAll, startService } from './support/service-process';
import { waitForServices } from './support/services-up';

const SECRETS = {
  METRICS_TOKEN: 'metrics-token-of-the-log-secrets-run',
  INTERNAL_TOKEN: 'internal-token-of-the-log-secrets-run',
  S3_SECRET_ACCESS_KEY: 's3-secret-of-the-log-secrets-run',
};

const occurrences = (text: string, part: string) => text.split(part).length - 1;

// `npm start` on its first and second boot at LOG_LEVEL=debug, called with the key in every header form.
describe('embedded mode logs no secret but the admin key it generated, once', () => {
  const processes: ServiceProcess[] = [];
  let cwd: string;
  let base: string;

  const boot = async () => {
    const embedded = startService('embedded', { ...SECRETS, PORT: base.split(':')[2], HOST: '127.0.0.1', DATA_DIR: join(cwd, 'data'), LOG_LEVEL: 'debug', HEALTH_TIMEOUT_MS: '300' }, cwd);
    processes.push(embedded);
    await waitForServices('GET /health/ready = 200', [embedded], async () => (await getJson(`${base}/health/ready`)).status === 200, { timeoutMs: 60_000, intervalMs: 200 });
    return embedded;
  };

  const useKey = async (key: string) => {
    for (const headers of [{ 'x-api-key': key }, { authorization: `Bearer ${key}` }, { authorization: 'Bearer pb_wrong-key-0123456789abcdefghijklmnop' }] as Record<string, string>[]) {
      await getJson(`${base}/api/infra/status`, headers);
    }
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${SECRETS.METRICS_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    expect(metrics.status).toBe(200);
    await metrics.text();
  };

  beforeAll(async () => {
    await buildOnce();
    cwd = mkdtempSync(join(tmpdir(), 'pb-log-secrets-'));
    base = `http://127.0.0.1:${await freePort()}`;
  }, 180_000);

  afterAll(() => killAll(processes));

  it('prints the generated key once on first boot, never on the next, and no configured secret ever', async () => {
    const first = await boot();
    const key = readFileSync(join(cwd, 'data', '.api-key'), 'utf8').trim();
    await useKey(key);
    first.kill('SIGTERM');
    await first.exited;
    // The one intended disclosure: the startup line of the first boot.
    expect(occurrences(first.output(), key)).toBe(1);
    expect(first.output()).toMatch(/"msg":"Admin API key \(generated, saved in [^"]+\): pb_/);

    const second = await boot();
    await useKey(key);
    second.kill('SIGTERM');
    await second.exited;
    expect(second.output()).not.toContain(key);
    expect(second.output()).toContain('Admin API key: read from');

    for (const output of [first.output(), second.output()]) {
      for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
      expect(output).not.toContain('pb_wrong-key-0123456789abcdefghijklmnop');
      // Debug level logs each request: they are there, with their request ids.
      expect(output).toMatch(/"requestId":"[^"]+".*"msg":"GET \/api\/infra\/status 200/);
    }
  });
});
