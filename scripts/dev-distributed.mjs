#!/usr/bin/env node
// Runs the four built services as separate processes, as docker-compose and Kubernetes do, on the
// local PostgreSQL, Redis and NATS and an S3 server; each line of output is prefixed by its source.
//
// Defaults (every one is overridden by the same variable in the environment):
//   DATABASE_TYPE=postgres on 127.0.0.1:5432, user postgres, database plugboard_dev (created if missing)
//   QUEUE_TYPE=bullmq and REDIS_ENABLED=true on 127.0.0.1:6379, BUS_TYPE=nats on nats://127.0.0.1:4222
//   STORAGE_TYPE=s3, bucket plugboard: unless S3_ENDPOINT is set, an s3rver started here on
//   127.0.0.1 (keys S3RVER/S3RVER, objects under DATA_DIR/s3rver) and stopped with the services.
//   The gateway listens on PORT (3000); MEDIA_SERVICE_URL and INFRA_ADMIN_URL follow the ports below.
//
// Variables of this script only (not Plugboard settings):
//   DEV_SESSION_WORKER_PORT  HTTP_PORT of the session-worker (3001)
//   DEV_MEDIA_SERVICE_PORT   HTTP_PORT of the media-service (3002)
//   DEV_INFRA_ADMIN_PORT     HTTP_PORT of infra-admin (3003)
//   DEV_S3_PORT              port of the s3rver started here (4569)
//   DEV_KEEP_RUNNING=true    when a service dies, keep the others running instead of stopping all
//
// Ctrl-C or SIGTERM stops the services (they drain), then the s3rver. A service that exits 0 by
// itself was asked to restart (POST /api/infra/restart) and is started again; one that dies
// otherwise is reported and, unless DEV_KEEP_RUNNING=true, the rest are stopped and this exits 1.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const env = process.env;
const root = fileURLToPath(new URL('..', import.meta.url));
const ports = {
  'session-worker': env.DEV_SESSION_WORKER_PORT ?? '3001',
  'media-service': env.DEV_MEDIA_SERVICE_PORT ?? '3002',
  'infra-admin': env.DEV_INFRA_ADMIN_PORT ?? '3003',
  s3: env.DEV_S3_PORT ?? '4569',
};
const dataDir = env.DATA_DIR ?? './data';
const ownS3 = (env.STORAGE_TYPE ?? 's3') === 's3' && !env.S3_ENDPOINT;

const defaults = {
  DATABASE_TYPE: 'postgres',
  DATABASE_HOST: '127.0.0.1',
  DATABASE_PORT: '5432',
  DATABASE_USERNAME: 'postgres',
  DATABASE_NAME: 'plugboard_dev',
  BUS_TYPE: 'nats',
  NATS_URL: 'nats://127.0.0.1:4222',
  QUEUE_TYPE: 'bullmq',
  REDIS_ENABLED: 'true',
  REDIS_HOST: '127.0.0.1',
  REDIS_PORT: '6379',
  STORAGE_TYPE: 's3',
  S3_BUCKET: 'plugboard',
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
  ...(ownS3 ? { S3_ENDPOINT: `http://127.0.0.1:${ports.s3}` } : {}),
  MEDIA_SERVICE_URL: `http://127.0.0.1:${ports['media-service']}`,
  INFRA_ADMIN_URL: `http://127.0.0.1:${ports['infra-admin']}`,
};
// The environment wins over the defaults; the per-service port wins over a shared HTTP_PORT.
const shared = { ...defaults, ...env };
// infra-admin first: on PostgreSQL it applies the migrations, which the others wait for by themselves.
const services = [
  // The same small old space as in docker-compose.yml and k8s: streamed exports stay flat in memory.
  { name: 'infra-admin', env: { HTTP_PORT: ports['infra-admin'], NODE_OPTIONS: env.NODE_OPTIONS ?? '--max-old-space-size=96 --max-semi-space-size=8' } },
  { name: 'gateway', env: {} },
  { name: 'session-worker', env: { HTTP_PORT: ports['session-worker'] } },
  { name: 'media-service', env: { HTTP_PORT: ports['media-service'] } },
];
const shutdownBudgetMs = Number(shared.SHUTDOWN_TIMEOUT_MS ?? 10_000);
const keepRunning = env.DEV_KEEP_RUNNING === 'true';

const say = (line) => console.log('[dev]'.padEnd(17), line);

/** Prints a child's stdout and stderr line by line behind `[name]`. */
function prefixOutput(name, child) {
  const prefix = `[${name}]`.padEnd(17);
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) console.log(prefix, line);
    });
    stream.on('end', () => buffered && console.log(prefix, buffered));
  }
}

/** Resolves once something accepts TCP connections on host:port, rejects after `timeoutMs`. */
async function waitForPort(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise((done) => {
      const socket = connect({ host, port: Number(port) });
      socket.once('connect', () => {
        socket.end();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates the PostgreSQL database the services will use if it does not exist yet. */
async function ensureDatabase() {
  if (shared.DATABASE_TYPE !== 'postgres') return;
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: shared.DATABASE_HOST,
    port: Number(shared.DATABASE_PORT),
    user: shared.DATABASE_USERNAME,
    password: shared.DATABASE_PASSWORD,
    ssl: shared.DATABASE_SSL === 'true' ? { rejectUnauthorized: false } : undefined,
    database: 'postgres',
  });
  await client.connect();
  try {
    const name = shared.DATABASE_NAME;
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) return;
    await client.query(`create database "${name.replaceAll('"', '""')}"`);
    say(`created PostgreSQL database ${name}`);
  } finally {
    await client.end();
  }
}

/** s3rver in its own process group, so a Ctrl-C reaches it only after the services drained. */
async function startS3rver() {
  const directory = join(dataDir, 's3rver');
  mkdirSync(directory, { recursive: true });
  const cli = require.resolve('s3rver/bin/s3rver.js');
  // DES for ListObjectsV2 tokens needs OpenSSL's legacy provider; stdin closing means this script died.
  const exitWithParent = "process.stdin.on('close', () => process.exit(0)).resume(); require(process.argv[1]);";
  const args = ['--openssl-legacy-provider', '-e', exitWithParent, cli, '-d', directory, '-a', '127.0.0.1', '-p', ports.s3, '--silent'];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  prefixOutput('s3rver', child);
  say(`s3rver started (pid ${child.pid}) on http://127.0.0.1:${ports.s3}, objects in ${directory}`);
  const exited = new Promise((done) => child.once('exit', (code, signal) => done(signal ?? code)));
  const early = exited.then((how) => Promise.reject(new Error(`s3rver exited (${how}) before it listened`)));
  await Promise.race([waitForPort('127.0.0.1', ports.s3, 15_000), early]);
  return { child, exited };
}

const running = new Map();
let stopping = false;
let failed = false;
let s3rver;

function startService({ name, env: own }) {
  const child = spawn(process.execPath, [join(root, 'dist', 'services', name, 'src', 'main.js')], {
    env: { ...shared, ...own },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefixOutput(name, child);
  say(`${name} started (pid ${child.pid})`);
  running.set(name, child);
  child.once('exit', (code, signal) => {
    running.delete(name);
    const how = signal ?? code;
    if (stopping) {
      if (code !== 0) failed = true;
      say(`${name} stopped (${how})`);
    } else if (code === 0) {
      // A service exits 0 by itself only when asked to restart: play the supervisor.
      say(`${name} exited 0 (restart request): starting it again`);
      startService({ name, env: own });
    } else {
      failed = true;
      say(`${name} died (${how})${keepRunning ? '; DEV_KEEP_RUNNING=true: the others keep running' : ': stopping the others'}`);
      if (!keepRunning) void stop();
    }
    if (running.size === 0 && (stopping || keepRunning)) void finish();
  });
}

async function stop() {
  if (stopping) return;
  stopping = true;
  say(`stopping ${[...running.keys()].join(', ') || 'nothing'} (they drain within SHUTDOWN_TIMEOUT_MS=${shutdownBudgetMs})`);
  for (const child of running.values()) child.kill('SIGTERM');
  // A service past its own budget exits 1 by itself; this only guards against one that hangs anyway.
  setTimeout(() => {
    for (const [name, child] of running) {
      say(`${name} still running past the shutdown budget: SIGKILL`);
      child.kill('SIGKILL');
    }
  }, shutdownBudgetMs + 5_000).unref();
  if (running.size === 0) await finish();
}

let finishing;
function finish() {
  finishing ??= (async () => {
    if (s3rver && s3rver.child.exitCode === null && s3rver.child.signalCode === null) {
      s3rver.child.kill('SIGTERM');
      say(`s3rver stopped (${await s3rver.exited})`);
    }
    process.exit(failed ? 1 : 0);
  })();
  return finishing;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (!stopping) return void stop();
    // A second Ctrl-C: do not wait for the drain.
    say(`${signal} again: killing everything now`);
    for (const child of running.values()) child.kill('SIGKILL');
    s3rver?.child.kill('SIGKILL');
  });
}

try {
  await ensureDatabase();
  if (ownS3) s3rver = await startS3rver();
} catch (error) {
  say(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  s3rver?.child.kill('SIGKILL');
  process.exit(1);
}
// Started without delays in between: the others retry until infra-admin has migrated.
for (const service of services) if (!stopping) startService(service);
if (s3rver) {
  void s3rver.exited.then((how) => {
    if (stopping) return;
    failed = true;
    say(`s3rver died (${how}): stopping the services`);
    void stop();
  });
}
