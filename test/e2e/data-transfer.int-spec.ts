import { createReadStream, createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import type { MikroORM } from '@mikro-orm/core';
import { type TestDatabase, createTestDatabase, freePort, postgresEnv, sqliteTestConfig } from '@plugboard/testing';
import { type DatabaseConfig, openDatabase } from '@plugboard/database';
import { type TableChecksum, tableChecksums } from '@plugboard/infra-admin';
import { buildWhenReachable } from './support/build';
import { type IsolatedBackends, isolateBackends } from './support/isolated-backends';
import { type ServiceProcess, killAll, startService } from './support/service-process';
import { waitForServices } from './support/services-up';
import { SEED_PREVIOUS_WEBHOOK_SECRET, SEED_WEBHOOK_IDS, seedMessages, seedSmallTables } from './support/data-seed';

const TOKEN = 'data-transfer-internal-token';
const PASSPHRASE = 'correct horse battery staple';
const MESSAGES = 200_000;
const RSS_LIMIT_KB = 200 * 1024;
/** infra-admin's heap setting as deployed (docker-compose.yml, k8s/base/infra-admin.yaml, dev:distributed). */
const INFRA_ADMIN_NODE_OPTIONS = '--max-old-space-size=96 --max-semi-space-size=8';

/** A 200 import's answer or a coded error. */
interface ImportReply {
  tables: Record<string, number>;
  error: { code: string; message: string };
}

interface InfraAdmin {
  process: ServiceProcess;
  url: string;
}

function databaseEnv(config: DatabaseConfig): Record<string, string> {
  // The test creates the schema once: a schema sync on an existing SQLite file rebuilds its tables.
  if (config.DATABASE_TYPE === 'sqlite') return { DATABASE_TYPE: 'sqlite', SQLITE_PATH: config.SQLITE_PATH, DATABASE_SYNCHRONIZE: 'false' };
  return postgresEnv(config);
}

/** The built infra-admin alone, on its own HTTP port, with the run's own bus subjects. */
async function startInfraAdmin(config: DatabaseConfig, dir: string, isolation: Record<string, string>): Promise<InfraAdmin> {
  const port = await freePort();
  const process = startService(
    'infra-admin',
    { ...isolation, ...databaseEnv(config), HOST: '127.0.0.1', HTTP_PORT: String(port), INTERNAL_TOKEN: TOKEN, LOG_LEVEL: 'warn', DATA_DIR: dir, NODE_OPTIONS: INFRA_ADMIN_NODE_OPTIONS },
    dir,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForServices('infra-admin ready', [process], async () => (await fetch(`${url}/health/ready`)).status === 200, { timeoutMs: 60_000, intervalMs: 200 });
  return { process, url };
}

/** Peak resident set size of the process so far (VmHWM), in KiB. */
function peakRssKb(process: ServiceProcess): number {
  const status = readFileSync(`/proc/${process.child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1]);
}

async function exportTo(admin: InfraAdmin, file: string, passphrase?: string): Promise<void> {
  const response = await request(`${admin.url}/internal/data/export`, {
    headers: { 'x-internal-token': TOKEN, ...(passphrase ? { 'x-export-passphrase': passphrase } : {}) },
  });
  expect(response.statusCode).toBe(200);
  expect(response.headers['x-job-id']).toBeTruthy();
  await pipeline(response.body, createWriteStream(file));
}

async function importFrom(admin: InfraAdmin, body: string | Buffer, query: string, passphrase?: string): Promise<{ status: number; body: ImportReply }> {
  const response = await request(`${admin.url}/internal/data/import?${query}`, {
    method: 'POST',
    body: typeof body === 'string' ? createReadStream(body) : body,
    headers: { 'x-internal-token': TOKEN, 'content-type': 'application/gzip', ...(passphrase ? { 'x-export-passphrase': passphrase } : {}) },
  });
  return { status: response.statusCode, body: (await response.body.json()) as ImportReply };
}

/** The jobs' own audit entries are the only rows an export or import adds. */
const skipJobAudit = (table: string, row: Record<string, unknown>) => table === 'audit_logs' && String(row.action).startsWith('infra.data.');

async function checksumsOf(config: DatabaseConfig): Promise<Record<string, TableChecksum>> {
  const orm = await openDatabase({ ...config, DATABASE_SYNCHRONIZE: false }, { migrate: false });
  try {
    return await tableChecksums({ orm, config }, skipJobAudit);
  } finally {
    await orm.close(true);
  }
}

/** Each webhook's previous secret as the database holds it (null when it has none), by id. */
async function previousSecretsOf(config: DatabaseConfig): Promise<Record<string, string | null>> {
  const orm = await openDatabase({ ...config, DATABASE_SYNCHRONIZE: false }, { migrate: false });
  try {
    const rows = (await orm.em.getConnection().execute(`select id, previous_secret from webhooks order by id`)) as { id: string; previous_secret: string | null }[];
    return Object.fromEntries(rows.map((row) => [row.id, row.previous_secret]));
  } finally {
    await orm.close(true);
  }
}

/** An export's header and its rows of one table. */
function exportedRows(file: string, table: string): { header: { redacted: string[] }; rows: Record<string, unknown>[] } {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean);
  const rows = lines.slice(1, -1).map((line) => JSON.parse(line) as { t: string; r: Record<string, unknown> });
  return { header: JSON.parse(lines[0]), rows: rows.filter((row) => row.t === table).map((row) => row.r) };
}

async function seeded(config: DatabaseConfig, messages: number): Promise<void> {
  await openDatabase(config, { migrate: true }).then((orm) => orm.close(true));
  const orm: MikroORM = await openDatabase({ ...config, DATABASE_SYNCHRONIZE: false }, { migrate: false });
  try {
    await seedSmallTables(orm);
    await seedMessages(orm, config.DATABASE_TYPE, messages);
  } finally {
    await orm.close(true);
  }
}

/** Rewrites an export's lines and, unless told otherwise, recomputes a trailer that matches them. */
function rewriteExport(file: string, edit: (lines: string[]) => string[], keepTrailer = false): Buffer {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean);
  const header = lines[0];
  const trailer = lines[lines.length - 1];
  const rows = edit(lines.slice(1, -1));
  if (keepTrailer) return gzipSync(`${[header, ...rows, trailer].join('\n')}\n`);
  const tables: Record<string, number> = {};
  const hash = createHash('sha256');
  for (const row of rows) {
    hash.update(`${row}\n`);
    const t = (JSON.parse(row) as { t: string }).t;
    tables[t] = (tables[t] ?? 0) + 1;
  }
  const parsedHeader = JSON.parse(header) as { tables: Record<string, number> };
  parsedHeader.tables = { ...parsedHeader.tables, ...tables };
  const newTrailer = JSON.stringify({ trailer: { tables: { ...JSON.parse(trailer).trailer.tables, ...tables }, rows: rows.length, sha256: hash.digest('hex') } });
  return gzipSync(`${[JSON.stringify(parsedHeader), ...rows, newTrailer].join('\n')}\n`);
}

describe('data export/import between SQLite and PostgreSQL (infra-admin as its own process)', () => {
  let reachable = false;
  const processes: ServiceProcess[] = [];
  const databases: TestDatabase[] = [];
  let dir: string;
  let isolation: IsolatedBackends | undefined;

  beforeAll(async () => {
    reachable = await buildWhenReachable('PostgreSQL', 'NATS');
    if (!reachable) return;
    isolation = await isolateBackends({ tag: `pbdata${process.pid}`, queue: 'memory' });
    dir = mkdtempSync(join(tmpdir(), 'pb-data-transfer-'));
  }, 300_000);

  afterAll(async () => {
    await killAll(processes);
    for (const database of databases) await database.drop();
    await isolation?.cleanup();
  });

  async function admin(config: DatabaseConfig): Promise<InfraAdmin> {
    const started = await startInfraAdmin(config, dir, isolation!.env);
    processes.push(started.process);
    return started;
  }

  async function postgres(): Promise<DatabaseConfig> {
    const database = await createTestDatabase({ prefix: 'pb_data_transfer_test' });
    databases.push(database);
    return database.config as DatabaseConfig;
  }

  it(`moves ${MESSAGES.toLocaleString('en')} messages SQLite → PostgreSQL → SQLite with identical counts and checksums`, async ({ skip }) => {
    skip(!reachable, 'PostgreSQL unreachable');
    const first = sqliteTestConfig(join(dir, 'first.sqlite'));
    await seeded(first, MESSAGES);
    const original = await checksumsOf(first);
    expect(original.messages.rows).toBe(MESSAGES);

    const peaks: Record<string, number> = {};
    const fromSqlite = await admin(first);
    await exportTo(fromSqlite, join(dir, 'one.ndjson.gz'), PASSPHRASE);
    peaks['export from SQLite'] = peakRssKb(fromSqlite.process);

    const pg = await postgres();
    const intoPg = await admin(pg);
    const imported = await importFrom(intoPg, join(dir, 'one.ndjson.gz'), 'mode=replace', PASSPHRASE);
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    expect(imported.body.tables.messages).toBe(MESSAGES);
    expect(await checksumsOf(pg)).toEqual(original);
    await exportTo(intoPg, join(dir, 'two.ndjson.gz'), PASSPHRASE);
    peaks['import into PostgreSQL + export'] = peakRssKb(intoPg.process);

    const last = sqliteTestConfig(join(dir, 'last.sqlite'));
    await openDatabase(last, { migrate: true }).then((orm) => orm.close(true));
    const intoSqlite = await admin(last);
    const back = await importFrom(intoSqlite, join(dir, 'two.ndjson.gz'), 'mode=replace', PASSPHRASE);
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(await checksumsOf(last)).toEqual(original);
    peaks['import into SQLite'] = peakRssKb(intoSqlite.process);

    for (const [step, kb] of Object.entries(peaks)) console.log(`infra-admin peak RSS (VmHWM), ${step}: ${(kb / 1024).toFixed(1)} MiB`);
    for (const kb of Object.values(peaks)) expect(kb).toBeLessThan(RSS_LIMIT_KB);
  }, 900_000);

  describe.each(['sqlite', 'postgres'] as const)('refused imports leave %s exactly as it was', (dialect) => {
    let target: InfraAdmin;
    let config: DatabaseConfig;
    let valid: string;
    /** The same rows exported with the passphrase: importing it restores every secret. */
    let sealed: string;
    let before: Record<string, TableChecksum>;

    beforeAll(async () => {
      if (!reachable) return;
      config = dialect === 'sqlite' ? sqliteTestConfig(join(dir, `bad-${Date.now()}.sqlite`)) : await postgres();
      await seeded(config, 500);
      target = await admin(config);
      valid = join(dir, `valid-${dialect}.ndjson.gz`);
      await exportTo(target, valid);
      sealed = join(dir, `sealed-${dialect}.ndjson.gz`);
      await exportTo(target, sealed, PASSPHRASE);
      before = await checksumsOf(config);
    }, 120_000);

    // [name, file, status, code, modes]: merge applies a primary key repeated in one file in order, so only replace refuses it.
    const cases: [string, () => Buffer, number, string, string[]?][] = [
      ['a truncated file', () => readFileSync(valid).subarray(0, Math.floor(readFileSync(valid).length / 2)), 400, 'IMPORT_TRUNCATED'],
      ['a file without its trailer', () => gzipSync(`${gunzipSync(readFileSync(valid)).toString('utf8').split('\n').slice(0, -2).join('\n')}\n`), 400, 'IMPORT_TRUNCATED'],
      [
        'a newer format version',
        () => {
          const lines = gunzipSync(readFileSync(valid)).toString('utf8').split('\n');
          lines[0] = JSON.stringify({ ...JSON.parse(lines[0]), formatVersion: 2 });
          return gzipSync(lines.join('\n'));
        },
        422,
        'IMPORT_FORMAT_NEWER',
      ],
      ['a duplicate primary key', () => rewriteExport(valid, (rows) => [...rows.slice(0, 5), rows[4], ...rows.slice(5)]), 409, 'IMPORT_CONFLICT', ['replace']],
      [
        'a row breaking a foreign key',
        () =>
          rewriteExport(valid, (rows) =>
            rows.map((row, i) => {
              const parsed = JSON.parse(row) as { t: string; r: Record<string, unknown> };
              return parsed.t === 'messages' && i === 10 ? JSON.stringify({ t: 'messages', r: { ...parsed.r, session_id: 'no-such-session' } }) : row;
            }),
          ),
        422,
        'IMPORT_INVALID',
      ],
      ['rows altered after the export', () => rewriteExport(valid, (rows) => rows.map((r, i) => (i === 20 ? r.replace('message body', 'MESSAGE BODY') : r)), true), 422, 'IMPORT_INVALID'],
    ];

    it.each(cases)('%s', async (_name, build, status, code, modes = ['replace', 'merge']) => {
      if (!reachable) return;
      for (const mode of modes) {
        const result = await importFrom(target, build(), `mode=${mode}`);
        expect(result.status, JSON.stringify(result.body)).toBe(status);
        expect(result.body.error.code).toBe(code);
        expect(await checksumsOf(config)).toEqual(before);
      }
    }, 120_000);

    it('refuses redacted secrets it has no value for, and keeps its own on a re-import', async () => {
      if (!reachable) return;
      // The export was made without a passphrase: the same rows keep this database's secrets.
      const again = await importFrom(target, valid, 'mode=replace');
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(await checksumsOf(config)).toEqual(before);
      const foreign = rewriteExport(valid, (rows) =>
        rows.map((row) => {
          const parsed = JSON.parse(row) as { t: string; r: Record<string, unknown> };
          return parsed.t === 'api_keys' ? JSON.stringify({ t: 'api_keys', r: { ...parsed.r, id: `${String(parsed.r.id).slice(0, 30)}ffffff` } }) : row;
        }),
      );
      const refused = await importFrom(target, foreign, 'mode=replace');
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.body.error.code).toBe('IMPORT_REDACTED');
      expect(await checksumsOf(config)).toEqual(before);
    }, 120_000);

    it('imports an export of schema version 6, its received messages counted as announced and its webhooks without previous secrets, and refuses version 5', async () => {
      if (!reachable) return;
      const atVersion = (version: number) => {
        const rows = rewriteExport(valid, (lines) =>
          lines.map((row) => {
            const parsed = JSON.parse(row) as { t: string; r: Record<string, unknown> };
            if (parsed.t === 'webhooks') {
              const { previous_secret: _secret, previous_secret_expires_at: _expiry, ...older } = parsed.r;
              return JSON.stringify({ t: 'webhooks', r: older });
            }
            if (parsed.t !== 'messages') return row;
            const { announced_at: _dropped, ...older } = parsed.r;
            return JSON.stringify({ t: 'messages', r: older });
          }),
        );
        const lines = gunzipSync(rows).toString('utf8').split('\n');
        const header = JSON.parse(lines[0]) as { redacted: string[] };
        lines[0] = JSON.stringify({ ...header, schemaVersion: version, redacted: header.redacted.filter((c) => c !== 'webhooks.previous_secret') });
        return gzipSync(lines.join('\n'));
      };
      const tooOld = await importFrom(target, atVersion(5), 'mode=replace');
      expect(tooOld.status, JSON.stringify(tooOld.body)).toBe(409);
      expect(tooOld.body.error.code).toBe('IMPORT_SCHEMA_MISMATCH');

      const older = await importFrom(target, atVersion(6), 'mode=replace');
      expect(older.status, JSON.stringify(older.body)).toBe(200);
      const orm = await openDatabase({ ...config, DATABASE_SYNCHRONIZE: false }, { migrate: false });
      try {
        const counts = (await orm.em.getConnection().execute(
          `select direction, sum(case when announced_at = created_at then 1 else 0 end) as announced, sum(case when announced_at is null then 1 else 0 end) as owed
           from messages group by direction order by direction`,
        )) as { direction: string; announced: number | string; owed: number | string }[];
        expect(counts.map((c) => ({ ...c, announced: Number(c.announced), owed: Number(c.owed) }))).toEqual([
          { direction: 'incoming', announced: 250, owed: 0 },
          { direction: 'outgoing', announced: 0, owed: 250 },
        ]);
        const webhooks = (await orm.em.getConnection().execute(`select previous_secret, previous_secret_expires_at from webhooks`)) as Record<string, unknown>[];
        expect(webhooks).toEqual(SEED_WEBHOOK_IDS.map(() => ({ previous_secret: null, previous_secret_expires_at: null })));
      } finally {
        await orm.close(true);
      }
      // Back to the rows the other cases compare with (the previous secret only travels sealed).
      expect((await importFrom(target, sealed, 'mode=replace', PASSPHRASE)).status).toBe(200);
      expect(await checksumsOf(config)).toEqual(before);
    }, 120_000);

    it('moves the previous webhook secret only sealed with the passphrase; redacted with nothing to keep, it becomes null', async () => {
      if (!reachable) return;
      const [rotated, plain] = SEED_WEBHOOK_IDS;
      const redacted = exportedRows(valid, 'webhooks');
      expect(redacted.header.redacted).toContain('webhooks.previous_secret');
      expect(redacted.rows.map((row) => [row.id, row.previous_secret, row.previous_secret_expires_at !== null])).toEqual([
        [rotated, null, true],
        [plain, null, false],
      ]);
      const withPassphrase = exportedRows(sealed, 'webhooks');
      expect(withPassphrase.header.redacted).toEqual([]);
      const sealedSecret = withPassphrase.rows.find((row) => row.id === rotated)?.previous_secret;
      expect(typeof sealedSecret).toBe('string');
      expect(sealedSecret).not.toContain(SEED_PREVIOUS_WEBHOOK_SECRET.slice('whsec_'.length));
      expect(withPassphrase.rows.find((row) => row.id === plain)?.previous_secret).toBeNull();

      // A redacted re-import keeps the previous secret this database holds.
      expect((await importFrom(target, valid, 'mode=merge')).status).toBe(200);
      expect(await previousSecretsOf(config)).toEqual({ [rotated]: SEED_PREVIOUS_WEBHOOK_SECRET, [plain]: null });
      // With none to keep it is not refused (unlike the current secret): the row simply has none.
      const orm = await openDatabase({ ...config, DATABASE_SYNCHRONIZE: false }, { migrate: false });
      await orm.em.getConnection().execute(`update webhooks set previous_secret = null`);
      await orm.close(true);
      const imported = await importFrom(target, valid, 'mode=replace');
      expect(imported.status, JSON.stringify(imported.body)).toBe(200);
      expect(await previousSecretsOf(config)).toEqual({ [rotated]: null, [plain]: null });
      // Sealed, it comes back.
      expect((await importFrom(target, sealed, 'mode=replace', PASSPHRASE)).status).toBe(200);
      expect(await previousSecretsOf(config)).toEqual({ [rotated]: SEED_PREVIOUS_WEBHOOK_SECRET, [plain]: null });
      expect(await checksumsOf(config)).toEqual(before);
    }, 120_000);
  });
});
