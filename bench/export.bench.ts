import { type TestDatabase, createTestDatabase, freePort, postgresEnv, testBackends, waitFor } from '@plugboard/testing';
import { openDatabase } from '@plugboard/database';
import type { AbstractSqlConnection } from '@mikro-orm/postgresql';
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { request } from 'undici';
import { timed } from './load';
import { type BenchProcess, startBuiltService } from './service-processes';

/**
 * Data export/import of 1,000,000 messages on PostgreSQL through infra-admin (its internal
 * port, as the gateway calls it) next to PostgreSQL's own `\copy messages TO STDOUT` /
 * `\copy messages FROM STDIN` through psql, in the same run. Target: ≥ 0.3 × psql, rows per second.
 */

const MESSAGES = 1_000_000;
const TARGET = 0.3;
const TOKEN = 'bench-internal-token-0123456789';
const PSQL = process.env.PSQL ?? 'psql';
const run = promisify(execFile);

export async function runExportBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pb-bench-export-'));
  const databases: TestDatabase[] = [];
  const processes: BenchProcess[] = [];
  try {
    const source = await createTestDatabase({ prefix: 'pb_bench_export_test' });
    const target = await createTestDatabase({ prefix: 'pb_bench_import_test' });
    const rawTarget = await createTestDatabase({ prefix: 'pb_bench_copy_test' });
    databases.push(source, target, rawTarget);
    for (const db of [source, target, rawTarget]) await (await openDatabase(db.config, { migrate: true })).close(true);
    await seed(source);
    const psqlTarget = await seed(rawTarget, 0);

    const from = await startInfraAdmin(source, dir, processes);
    const into = await startInfraAdmin(target, dir, processes);
    const file = join(dir, 'export.ndjson.gz');
    const exportMs = await timed(async () => {
      const response = await request(`${from}/internal/data/export`, { headers: { 'x-internal-token': TOKEN } });
      if (response.statusCode !== 200) throw new Error(`export answered ${response.statusCode}: ${await response.body.text()}`);
      await pipeline(response.body, createWriteStream(file));
    });
    const importMs = await timed(async () => {
      const response = await request(`${into}/internal/data/import?mode=replace`, {
        method: 'POST',
        body: createReadStream(file),
        headers: { 'x-internal-token': TOKEN, 'content-type': 'application/gzip' },
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`import answered ${response.statusCode}: ${text}`);
    });

    const copyFile = join(dir, 'messages.copy');
    const copyOutMs = await timed(() => psql(source, `\\copy messages TO '${copyFile}'`));
    const copyInMs = await timed(() => psql(psqlTarget, `\\copy messages FROM '${copyFile}'`));

    const rate = (ms: number) => (MESSAGES / ms) * 1000;
    const rows = [
      { label: 'export (GET, gzip NDJSON)', ours: rate(exportMs), raw: rate(copyOutMs), rawLabel: 'psql \\copy TO' },
      { label: 'import (POST, replace)', ours: rate(importMs), raw: rate(copyInMs), rawLabel: 'psql \\copy FROM' },
    ];
    console.log(`data export/import, ${MESSAGES.toLocaleString('en')} messages on PostgreSQL (rows per second; the exports also hold the few rows of the other tables)`);
    for (const row of rows) {
      const ratio = row.ours / row.raw;
      console.log(
        `  ${row.label.padEnd(28)} ${Math.round(row.ours).toLocaleString('en').padStart(10)}/s   ${row.rawLabel.padEnd(16)} ${Math.round(row.raw).toLocaleString('en').padStart(10)}/s   ratio ${ratio.toFixed(2)} (target ≥ ${TARGET}) ${ratio >= TARGET ? 'ok' : 'BELOW TARGET'}`,
      );
    }
  } finally {
    for (const p of processes) await p.stop();
    for (const db of databases) await db.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sessions plus `count` messages written by one INSERT … SELECT generate_series (not through the ORM). */
async function seed(database: TestDatabase, count = MESSAGES): Promise<TestDatabase> {
  const orm = await openDatabase(database.config, { migrate: false });
  const knex = (orm.em.getConnection() as unknown as AbstractSqlConnection).getKnex();
  try {
    if (count === 0) {
      await knex.raw(`insert into sessions (id, name, engine, config, created_at, updated_at) values ('bench-session', 'bench', 'simulator', '{}', now(), now())`);
      return database;
    }
    await knex.raw(`insert into sessions (id, name, engine, config, created_at, updated_at) values ('bench-session', 'bench', 'simulator', '{}', now(), now())`);
    // One statement writes every message: on a busy machine it outlasts the services' statement timeout.
    await knex.transaction(async (trx) => {
      await trx.raw('set local statement_timeout = 0');
      await trx.raw(
        `insert into messages (id, session_id, wa_message_id, chat_id, "from", "to", direction, type, body, payload, status, timeline, created_at, updated_at, sent_at, due_at)
       select '00000000-0000-4000-9000-' || lpad(i::text, 12, '0'), 'bench-session', 'wa-' || i, 'chat-' || (i % 100) || '@c.us', 'me', 'chat-' || (i % 100),
              'outgoing', 'text', 'benchmark message number ' || i, jsonb_build_object('n', i), 'sent',
              jsonb_build_array(jsonb_build_object('status', 'sent', 'at', '2024-05-01T10:00:00.000Z')),
              now() - (i || ' seconds')::interval, now(), now(), now()
       from generate_series(1, ${count}) as i`,
      );
    });
    // Vacuumed, as a table long in service is: otherwise the first reader (the export) pays for
    // setting every row's hint bits, and psql's \copy after it reads a table the export prepared.
    await knex.raw('vacuum analyze messages');
    return database;
  } finally {
    await orm.close(true);
  }
}

async function psql(database: TestDatabase, command: string): Promise<void> {
  const c = database.config;
  await run(PSQL, ['-X', '-q', '-h', c.DATABASE_HOST ?? '127.0.0.1', '-p', String(c.DATABASE_PORT), '-U', c.DATABASE_USERNAME ?? 'postgres', '-d', c.DATABASE_NAME, '-c', command], {
    env: { ...process.env, PGPASSWORD: c.DATABASE_PASSWORD ?? '' },
    maxBuffer: 16 * 1024 * 1024,
  });
}

async function startInfraAdmin(database: TestDatabase, dir: string, processes: BenchProcess[]): Promise<string> {
  const port = await freePort();
  const tag = `pbbench${process.pid}${port}`;
  const child = startBuiltService(
    'infra-admin',
    {
      ...postgresEnv(database.config),
      HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      BUS_TYPE: 'nats',
      NATS_URL: testBackends.natsUrl,
      BUS_SUBJECT_PREFIX: tag,
      EVENTS_STREAM: tag,
      QUEUE_TYPE: 'memory',
      INTERNAL_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
      DATA_DIR: dir,
    },
    dir,
  );
  processes.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('infra-admin ready', async () => {
    if (child.child.exitCode !== null) throw new Error(`infra-admin exited: ${child.tail()}`);
    const response = await fetch(`${url}/health/ready`).catch(() => undefined);
    return response?.status === 200 ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  return url;
}

