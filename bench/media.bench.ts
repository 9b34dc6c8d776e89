import { type S3ServerHandle, freePort, startS3Server, waitFor } from '@plugboard/testing';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { Client } from 'minio';
import { request } from 'undici';

/**
 * Media throughput through the gateway (`npm start`'s embedded process, one child process per
 * plug) next to raw baselines on the same files in the same run: uploads/downloads against an
 * fs stream copy (local plug) and the minio client (S3 plug, s3rver); backup/restore
 * (GET /api/infra/storage/export, POST /import) against `tar czf` / `tar xzf`.
 * Targets: transfers ≥ 0.7 × raw, backup/restore ≥ 0.8 × raw.
 */

const MiB = 1024 * 1024;
const FILES = 4;
const FILE_SIZE = 16 * MiB;
const TOTAL = FILES * FILE_SIZE;
const ROUNDS = 5;
const TRANSFER_TARGET = 0.7;
const ARCHIVE_TARGET = 0.8;
const KEY = 'pb_bench_admin_key_for_this_run_only';
const run = promisify(execFile);
/**
 * The bench's own HTTP client reads the files it sends 1 MiB at a time, as curl and most
 * upload tools do: with Node's default 64 KiB reads the client, not the server, set the pace.
 */
const CLIENT_READS = { highWaterMark: MiB };
/** BENCH_PROFILE_DIR=<dir>: each embedded process writes a V8 CPU profile there when the bench ends. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;

interface Row {
  label: string;
  ours: number;
  raw: number;
  rawLabel: string;
  target: number;
}

export async function runMediaBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pb-bench-media-'));
  const files = join(dir, 'files');
  mkdirSync(files);
  for (let i = 0; i < FILES; i++) writeFileSync(join(files, `f${i}.bin`), randomBytes(FILE_SIZE));
  const names = readdirSync(files).map((name) => join(files, name));
  let s3: S3ServerHandle | undefined;
  const children: ChildProcess[] = [];
  try {
    s3 = await startS3Server({ directory: join(dir, 's3') });
    const minio = new Client({ endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey, pathStyle: true });
    await minio.makeBucket('raw-bench');
    const s3Env = { STORAGE_TYPE: 's3', S3_ENDPOINT: s3.endpoint, S3_BUCKET: 'pb-bench', S3_ACCESS_KEY_ID: s3.accessKey, S3_SECRET_ACCESS_KEY: s3.secretKey };
    const local = await startEmbedded(join(dir, 'local'), {}, children);
    const onS3 = await startEmbedded(join(dir, 's3plug'), s3Env, children);
    const restored = await startEmbedded(join(dir, 'restored'), {}, children);

    const best = { localUp: 0, localDown: 0, copy: 0, s3Up: 0, s3Down: 0, minioPut: 0, minioGet: 0, exportRate: 0, importRate: 0, tarC: 0, tarX: 0 };
    let warmingUp = true;
    const keep = (name: keyof typeof best, rate: number) => (best[name] = warmingUp ? best[name] : Math.max(best[name], rate));
    // Round 0 warms both sides up (JIT, connections, the allocator's pages, the page cache) and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      warmingUp = round === 0;
      // Interleaved, so drift of the machine hits both sides alike; best of the rounds.
      const copies = join(dir, `copy${round}`);
      mkdirSync(copies);
      keep('copy', await rate(() => each(names, (file, i) => pipeline(createReadStream(file), createWriteStream(join(copies, `${i}`))))));
      rmSync(copies, { recursive: true });
      const localIds: string[] = [];
      keep('localUp', await rate(() => each(names, async (file) => void localIds.push(await upload(local, file)))));
      keep('localDown', await rate(() => each(localIds, (id) => download(local, id))));
      keep('minioPut', await rate(() => each(names, async (file, i) => void (await minio.putObject('raw-bench', `r${round}/${i}`, createReadStream(file), FILE_SIZE)))));
      keep('minioGet', await rate(() => each(names, async (_file, i) => pipeline(await minio.getObject('raw-bench', `r${round}/${i}`), sink()))));
      const s3Ids: string[] = [];
      keep('s3Up', await rate(() => each(names, async (file) => void s3Ids.push(await upload(onS3, file)))));
      keep('s3Down', await rate(() => each(s3Ids, (id) => download(onS3, id))));

      // Backups of the local instance's FILES objects next to tar on the same files.
      const archive = join(dir, `backup${round}.tar.gz`);
      keep('exportRate', await rate(() => exportTo(local, archive)));
      keep('tarC', await rate(() => run('tar', ['czf', join(dir, `raw${round}.tar.gz`), '-C', files, '.']).then(() => undefined)));
      await deleteAll(restored);
      keep('importRate', await rate(() => importFrom(restored, archive)));
      const untar = join(dir, `untar${round}`);
      mkdirSync(untar);
      keep('tarX', await rate(() => run('tar', ['xzf', join(dir, `raw${round}.tar.gz`), '-C', untar]).then(() => undefined)));
      rmSync(untar, { recursive: true });
      for (const id of localIds) await remove(local, id);
      for (const id of s3Ids) await remove(onS3, id);
      rmSync(archive);
    }
    const rows: Row[] = [
      { label: 'upload, local plug', ours: best.localUp, raw: best.copy, rawLabel: 'fs stream copy', target: TRANSFER_TARGET },
      { label: 'download, local plug', ours: best.localDown, raw: best.copy, rawLabel: 'fs stream copy', target: TRANSFER_TARGET },
      { label: 'upload, s3 plug (s3rver)', ours: best.s3Up, raw: best.minioPut, rawLabel: 'minio putObject', target: TRANSFER_TARGET },
      { label: 'download, s3 plug (s3rver)', ours: best.s3Down, raw: best.minioGet, rawLabel: 'minio getObject', target: TRANSFER_TARGET },
      { label: 'backup (export .tar.gz)', ours: best.exportRate, raw: best.tarC, rawLabel: 'tar czf', target: ARCHIVE_TARGET },
      { label: 'restore (import .tar.gz)', ours: best.importRate, raw: best.tarX, rawLabel: 'tar xzf', target: ARCHIVE_TARGET },
    ];
    print(rows);
  } finally {
    // A clean exit writes the profile; SIGKILL would lose it.
    await Promise.all(children.map((child) => stopChild(child, PROFILE_DIR ? 'SIGTERM' : 'SIGKILL')));
    await s3?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * MiB/s of moving TOTAL bytes with `work`. The disk's dirty pages are written back first, so a
 * measurement never pays (in its fsyncs) for what the one before it left to write back.
 */
async function rate(work: () => Promise<void>): Promise<number> {
  await run('sync');
  const started = process.hrtime.bigint();
  await work();
  return TOTAL / MiB / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function each<T>(items: T[], work: (item: T, index: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i++) await work(items[i], i);
}

function sink(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

async function startEmbedded(dataDir: string, extra: Record<string, string>, children: ChildProcess[]): Promise<string> {
  const port = await freePort();
  const main = join(__dirname, '..', 'services', 'embedded', 'src', 'main.js');
  const env = { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, API_MASTER_KEY: KEY, ENGINE_TYPE: 'simulator', LOG_LEVEL: 'warn', MEDIA_MAX_BYTES: String(64 * MiB), ...extra };
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, main], { env, cwd: dataDir.replace(/[^/]+$/, ''), stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitFor('embedded media routes', async () => {
    if (child.exitCode !== null) throw new Error('embedded process exited');
    const response = await fetch(`${base}/api/media`, { headers: { 'x-api-key': KEY } }).catch(() => undefined);
    await response?.arrayBuffer();
    return response?.status === 200;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  return base;
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}

async function upload(base: string, file: string): Promise<string> {
  const size = statSync(file).size;
  const response = await request(`${base}/api/media`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: createReadStream(file, CLIENT_READS),
  });
  const body = (await response.body.json()) as { id?: string };
  if (response.statusCode !== 201 || !body.id) throw new Error(`upload answered ${response.statusCode}: ${JSON.stringify(body)}`);
  return body.id;
}

async function download(base: string, id: string): Promise<void> {
  const response = await request(`${base}/api/media/${id}`, { headers: { 'x-api-key': KEY } });
  if (response.statusCode !== 200) throw new Error(`download answered ${response.statusCode}`);
  await pipeline(response.body, sink());
}

async function remove(base: string, id: string): Promise<void> {
  await (await request(`${base}/api/media/${id}`, { method: 'DELETE', headers: { 'x-api-key': KEY } })).body.dump();
}

async function deleteAll(base: string): Promise<void> {
  for (;;) {
    const page = (await (await request(`${base}/api/media?limit=500`, { headers: { 'x-api-key': KEY } })).body.json()) as { items: { id: string }[] };
    if (!page.items.length) return;
    for (const item of page.items) await remove(base, item.id);
  }
}

async function exportTo(base: string, path: string): Promise<void> {
  const response = await request(`${base}/api/infra/storage/export`, { headers: { 'x-api-key': KEY } });
  if (response.statusCode !== 200) throw new Error(`export answered ${response.statusCode}`);
  await pipeline(response.body, createWriteStream(path));
}

async function importFrom(base: string, path: string): Promise<void> {
  const response = await request(`${base}/api/infra/storage/import`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/gzip', 'content-length': String(statSync(path).size) },
    body: createReadStream(path, CLIENT_READS),
  });
  const summary = (await response.body.json()) as { imported?: number };
  if (response.statusCode >= 300 || summary.imported !== FILES) throw new Error(`import answered ${response.statusCode}: ${JSON.stringify(summary)}`);
}

function print(rows: Row[]): void {
  const table = rows.map((row) => {
    const ratio = row.ours / row.raw;
    return {
      benchmark: row.label,
      'ours MiB/s': row.ours.toFixed(1),
      baseline: row.rawLabel,
      'raw MiB/s': row.raw.toFixed(1),
      ratio: ratio.toFixed(2),
      target: `≥ ${row.target}`,
      result: ratio >= row.target ? 'PASS' : 'BELOW TARGET',
    };
  });
  console.log(`media: ${FILES} × ${FILE_SIZE / MiB} MiB random files (${TOTAL / MiB} MiB), best of ${ROUNDS} interleaved rounds after one warm-up round`);
  console.table(table);
}

