import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SCHEMA_VERSION } from '@plugboard/database';
import { freePort, waitFor } from '@plugboard/testing';
import { buildOnce } from './support/build';
import { plugboard } from './support/plugboard-cli';
import { type ServiceProcess, killAll, startService } from './support/service-process';
import { healthOk, waitForServices } from './support/services-up';
import { call } from './support/sessions-http';

const KEY = 'pb_cli-embedded-admin-key-of-this-run';

// `npm start` (all four services in one process, SQLite, in-process bus) driven by the built CLI.
describe('plugboard CLI against the embedded stack', () => {
  let stack: ServiceProcess | undefined;
  let base: string;
  let cwd: string;
  let env: Record<string, string>;
  const http = (method: string, path: string, body?: unknown) => call(base, KEY, method, path, body === undefined ? {} : { body });

  beforeAll(async () => {
    await buildOnce();
    cwd = mkdtempSync(join(tmpdir(), 'pb-cli-embedded-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    stack = startService(
      'embedded',
      {
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: join(cwd, 'data'),
        API_MASTER_KEY: KEY,
        ENGINE_TYPE: 'simulator',
        SIMULATOR_AUTO_PAIR_MS: '100',
        SESSION_START_STAGGER_MS: '0',
        LOG_LEVEL: 'warn',
      },
      cwd,
    );
    await waitForServices('the embedded stack healthy', [stack], () => healthOk(base), { timeoutMs: 90_000, intervalMs: 200 });
    env = { PLUGBOARD_URL: base, PLUGBOARD_API_KEY: KEY };
  }, 240_000);

  afterAll(async () => {
    if (stack) await killAll([stack]);
  });

  it('`npx plugboard status` lists the four services in a table', async () => {
    const result = await plugboard(['status'], env, { npx: true });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^overall: ok/);
    expect(result.stdout).toMatch(/^SERVICE\s+INSTANCE\s+STATUS\s+VERSION\s+UPTIME\s+SOCKETS$/m);
    for (const service of ['gateway', 'session-worker', 'media-service', 'infra-admin']) expect(result.stdout).toMatch(new RegExp(`^${service}\\s+\\S+\\s+up\\s`, 'm'));
  }, 60_000);

  it('`plugboard migrate` reports the synced SQLite schema version and is audited', async () => {
    const result = await plugboard(['migrate'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(`sqlite: schema version ${SCHEMA_VERSION}; nothing to apply`);
    const audit = await http('GET', '/api/audit?action=infra.migrate');
    expect(audit.body.items).toHaveLength(1);
  });

  it('backs the media up into a file and restores it after the files were deleted', async () => {
    const payload = randomBytes(300_000);
    const upload = await fetch(`${base}/api/media?filename=cli.bin`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/octet-stream' },
      body: payload,
    });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };

    const out = join(cwd, 'media.tar.gz');
    const backup = await plugboard(['storage', 'backup', '--out', out], env);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain(`bytes written to ${out}`);
    // gzip, holding the uploaded bytes; no temp file left next to it.
    const tar = gunzipSync(readFileSync(out));
    expect(tar.includes(payload.subarray(0, 4096))).toBe(true);
    expect(readdirSync(cwd).filter((name) => name.endsWith('.part'))).toEqual([]);

    expect((await http('DELETE', `/api/media/${id}`)).status).toBe(200);
    expect((await http('GET', `/api/media/${id}`)).status).toBe(404);
    const restore = await plugboard(['storage', 'restore', out], env);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/media restore: 1 imported, 0 already present, 0 failed/);
    const back = await fetch(`${base}/api/media/${id}`, { headers: { 'x-api-key': KEY } });
    expect(back.status).toBe(200);
    const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    expect(sha(Buffer.from(await back.arrayBuffer()))).toBe(sha(payload));

    const again = await plugboard(['storage', 'restore', out], env);
    expect(again.stdout).toMatch(/0 imported, 1 already present/);
  }, 60_000);

  it('`plugboard drain` releases the sessions of the worker; an unknown instance exits 1 with NOT_FOUND', async () => {
    for (const name of ['drain-1', 'drain-2']) expect((await http('POST', '/api/sessions', { name })).status).toBe(201);
    await waitFor(
      'both sessions ready',
      async () => ((await http('GET', '/api/sessions')).body.sessions as { name: string; status: string }[]).filter((s) => s.name.startsWith('drain-') && s.status === 'ready').length === 2,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const status = await http('GET', '/api/infra/status');
    const [worker] = status.body.services['session-worker'].instances as { instanceId: string }[];
    const owned = ((await http('GET', '/api/sessions')).body.sessions as { owner: string | null }[]).filter((s) => s.owner === worker.instanceId).length;
    expect(owned).toBeGreaterThanOrEqual(2);

    const unknown = await plugboard(['drain', 'no-such-worker'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND');
    expect(unknown.stderr).toContain('(HTTP 404)');

    const drained = await plugboard(['drain', worker.instanceId], env);
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout.trim()).toBe(`drained ${worker.instanceId}: ${owned} session(s) released to the other workers`);
    const sessions = (await http('GET', '/api/sessions')).body.sessions as { owner: string | null }[];
    expect(sessions.every((s) => s.owner === null)).toBe(true);
    const audit = await http('GET', '/api/audit?action=infra.drain');
    expect(audit.body.items.map((e: { target: string; details: unknown }) => [e.target, e.details])).toEqual([[worker.instanceId, { released: owned }]]);
  }, 60_000);

  it('refuses the drain and migrate routes to a non-admin key (403), and a bad body (400)', async () => {
    const created = await http('POST', '/api/keys', { name: 'operator of the cli test', role: 'operator' });
    expect(created.status).toBe(201);
    const operator = { PLUGBOARD_URL: base, PLUGBOARD_API_KEY: created.body.key as string };
    for (const args of [['migrate'], ['drain', 'x'], ['status']]) {
      const result = await plugboard(args, operator);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toContain('FORBIDDEN');
    }
    expect((await http('POST', '/api/infra/drain', {})).status).toBe(400);
    expect((await http('POST', '/api/infra/drain', { instance: 'a', extra: 1 })).status).toBe(400);
  }, 60_000);

  // Last: a replace import rewrites every table, sessions included.
  it('exports the data into a file and imports it back (merge, then replace with the sessions stopped)', async () => {
    expect((await http('POST', '/api/sessions', { name: 'exported' })).status).toBe(201);
    const out = join(cwd, 'data-export.ndjson.gz');
    const exported = await plugboard(['export', '--out', out], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^exported \d+ bytes to .* \(job \S+\)$/m);
    const lines = gunzipSync(readFileSync(out)).toString().trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.some((line) => line.includes('"exported"'))).toBe(true);

    const merged = await plugboard(['import', out, '--mode', 'merge', '--allow-redacted'], env);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/^imported .* \(mode merge, job \S+\)$/m);
    expect(merged.stdout).toMatch(/^ {2}sessions\s+\d+$/m);

    const replaced = await plugboard(['import', out, '--mode', 'replace', '--stop-sessions', '--allow-redacted'], env);
    expect(replaced.code, replaced.stderr).toBe(0);
    const sessions = (await http('GET', '/api/sessions')).body.sessions as { name: string }[];
    expect(sessions.map((s) => s.name)).toContain('exported');

    // Half a file: the server refuses it with a code, and the CLI exits 1.
    const cut = join(cwd, 'cut.ndjson.gz');
    writeFileSync(cut, readFileSync(out).subarray(0, Math.floor(readFileSync(out).length / 2)));
    const refused = await plugboard(['import', cut, '--mode', 'merge', '--allow-redacted'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^plugboard: [A-Z_]+: .* \(HTTP 4\d\d\)$/m);
  }, 60_000);
});
