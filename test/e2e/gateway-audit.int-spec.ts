import { gzipSync } from 'node:zlib';
import { DataTransfer, MediaStreams } from '@plugboard/contracts';
import { DataTransferSwitch, GatewayModule } from '@plugboard/gateway';
import { InfraAdminModule } from '@plugboard/infra-admin';
import { MediaServiceModule } from '@plugboard/media-service';
import { MediaStreamsSwitch } from '@plugboard/service-kit';
import { SessionWorkerModule } from '@plugboard/session-worker';
import { type S3ServerHandle, startS3Server, waitFor } from '@plugboard/testing';
import { STACK_KEY } from './support/embedded-stack';
import { type InProcessStack, startInProcessStack } from './support/in-process-stack';
import { type HttpReply, call } from './support/sessions-http';

interface AuditRow {
  action: string;
  target: string | null;
  actorKeyId: string | null;
  actorName: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

interface Job {
  id: string;
  kind: string;
  state: string;
}

// All four services in this process as `npm start` wires them (SQLite, in-process bus), plus a
// private s3rver for the storage migration: nothing to skip for.
describe('gateway: audit log', () => {
  let stack: InProcessStack;
  let s3: S3ServerHandle;
  /** A second admin key: every infra entry must name it, not the master key. */
  let ops: { id: string; key: string };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked with expect(), shape by shape
  const as = (key: string, method: string, path: string, body?: unknown): Promise<HttpReply<any>> => call(stack.base, key, method, path, { body, timeoutMs: 20_000 });
  const entries = async (action: string): Promise<AuditRow[]> => {
    const { status, body } = await as(STACK_KEY, 'GET', `/api/audit?action=${action}`);
    expect(status).toBe(200);
    return body.items;
  };
  /** The newest entry of `action`, which must name the ops key and the loopback client. */
  const byOps = async (action: string): Promise<AuditRow> => {
    const [row] = await entries(action);
    expect(row, `an ${action} entry`).toBeDefined();
    expect(row).toMatchObject({ action, actorKeyId: ops.id, actorName: 'ops', ip: '127.0.0.1' });
    return row;
  };
  const raw = (method: string, path: string, body: Buffer) =>
    fetch(`${stack.base}${path}`, { method, headers: { 'x-api-key': ops.key, 'content-type': 'application/gzip' }, body });

  beforeAll(async () => {
    s3 = await startS3Server();
    stack = await startInProcessStack(
      'gateway-audit',
      [
        { service: 'gateway', module: GatewayModule },
        { service: 'media-service', module: MediaServiceModule },
        { service: 'session-worker', module: SessionWorkerModule },
        { service: 'infra-admin', module: InfraAdminModule },
      ],
      {
        API_MASTER_KEY: STACK_KEY,
        ENGINE_TYPE: 'simulator',
        SESSION_START_STAGGER_MS: '0',
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: 'pb-audit-e2e',
        S3_ACCESS_KEY_ID: s3.accessKey,
        S3_SECRET_ACCESS_KEY: s3.secretKey,
      },
    );
    // As the embedded launcher does: media and data streams go in-process.
    const [gateway, media, worker, infra] = stack.handles;
    gateway.app.get(MediaStreamsSwitch).use(media.app.get(MediaStreams));
    worker.app.get(MediaStreamsSwitch).use(media.app.get(MediaStreams));
    gateway.app.get(DataTransferSwitch).use(infra.app.get(DataTransfer));
    const created = await as(STACK_KEY, 'POST', '/api/keys', { name: 'ops', role: 'admin' });
    expect(created.status).toBe(201);
    ops = created.body;
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await s3?.dispose();
  });

  it('creating and deleting a session leaves session.created and session.deleted in GET /api/audit', async () => {
    const created = await as(STACK_KEY, 'POST', '/api/sessions', { name: 'audited' });
    expect(created.status).toBe(201);
    expect((await as(STACK_KEY, 'DELETE', `/api/sessions/${created.body.id}`)).status).toBe(200);

    const { status, body } = await as(STACK_KEY, 'GET', '/api/audit');
    expect(status).toBe(200);
    const rows = (body.items as AuditRow[]).filter((row) => row.target === created.body.id);
    expect(rows.map((row) => row.action)).toEqual(['session.deleted', 'session.created']);
    expect(rows.every((row) => row.actorName?.startsWith('master key'))).toBe(true);
  }, 30_000);

  it('records a data export (job id, encrypted or not) and a data import with the calling key and address', async () => {
    const exported = await fetch(`${stack.base}/api/infra/export-data`, { headers: { 'x-api-key': ops.key } });
    expect(exported.status).toBe(200);
    const dump = Buffer.from(await exported.arrayBuffer());
    const exportEntry = await byOps('infra.data.export');
    expect(exportEntry).toMatchObject({ target: exported.headers.get('x-job-id'), details: { encrypted: false } });

    const imported = await raw('POST', '/api/infra/import-data?mode=merge', dump);
    expect(imported.status, await imported.clone().text()).toBe(200);
    const result = (await imported.json()) as { jobId: string; tables: Record<string, number> };
    const importEntry = await byOps('infra.data.import');
    expect(importEntry).toMatchObject({ target: result.jobId, details: { mode: 'merge', tables: result.tables } });
    // infra-admin no longer adds an entry of its own, without the who and the where.
    expect((await entries('infra.data.export')).every((row) => row.actorKeyId === ops.id)).toBe(true);
    expect((await entries('infra.data.import')).every((row) => row.actorKeyId === ops.id)).toBe(true);
  }, 30_000);

  it('records a job cancel', async () => {
    // An import whose body stops after the gzip header runs until it is cancelled and its client goes.
    const abort = new AbortController();
    const body = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(gzipSync('x').subarray(0, 10)) });
    const init = { method: 'POST', headers: { 'x-api-key': ops.key, 'content-type': 'application/gzip' }, body, duplex: 'half', signal: abort.signal };
    const pending = fetch(`${stack.base}/api/infra/import-data?mode=merge`, init as RequestInit).catch(() => undefined);
    const jobs = async (): Promise<Job[]> => (await as(ops.key, 'GET', '/api/infra/jobs')).body.jobs;
    const running = await waitFor('a running import', async () => (await jobs()).find((job) => job.state === 'running'));

    const cancelled = await as(ops.key, 'POST', `/api/infra/jobs/${running.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(await byOps('infra.job.cancel')).toMatchObject({ target: running.id, details: { kind: 'import' } });

    abort.abort();
    await pending;
    await waitFor('the import to end', async () => (await jobs()).every((job) => job.state !== 'running'));
    // Cancelling a finished job is refused and changes nothing: not recorded.
    expect((await as(ops.key, 'POST', `/api/infra/jobs/${running.id}/cancel`)).status).toBe(409);
    expect(await entries('infra.job.cancel')).toHaveLength(1);
  }, 30_000);

  it('records a media backup, a restore and a storage migration', async () => {
    const upload = await fetch(`${stack.base}/api/media?filename=a.bin`, {
      method: 'POST',
      headers: { 'x-api-key': ops.key, 'content-type': 'application/octet-stream' },
      body: Buffer.from('audited bytes'),
    });
    expect(upload.status).toBe(201);

    const backup = await fetch(`${stack.base}/api/infra/storage/export`, { headers: { 'x-api-key': ops.key } });
    expect(backup.status).toBe(200);
    const archive = Buffer.from(await backup.arrayBuffer());
    expect(await byOps('infra.storage.export')).toMatchObject({ target: null });

    const restored = await raw('POST', '/api/infra/storage/import', archive);
    expect(restored.status, await restored.clone().text()).toBe(201);
    const summary = await restored.json();
    expect(await byOps('infra.storage.import')).toMatchObject({ details: summary });

    const started = await as(ops.key, 'POST', '/api/infra/storage/migrate', { to: 's3' });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(await byOps('infra.storage.migrate')).toMatchObject({ details: { from: 'local', to: 's3' } });
    await waitFor('the migration to finish', async () => (await as(ops.key, 'GET', '/api/infra/storage/migrate')).body.state !== 'running', { timeoutMs: 20_000 });
    // A refused start (already on s3) is not recorded.
    expect((await as(ops.key, 'POST', '/api/infra/storage/migrate', { to: 's3' })).status).toBe(409);
    expect(await entries('infra.storage.migrate')).toHaveLength(1);
  }, 60_000);
});
