import { ErrorCode } from '@plugboard/contracts';
import { startS3Server, uniqueName, waitFor, type S3ServerHandle } from '@plugboard/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FallbackStorageAdapter } from './fallback-storage.adapter';
import { LocalStorageAdapter } from './local-storage.adapter';
import { S3StorageAdapter } from './s3-storage.adapter';
import { readAll, storageError } from './__tests__/storage.contract';

// A private s3rver: this file stops and restarts it, the other suites never see it.
const REPROBE_MS = 200;
let server: S3ServerHandle;
let scratch: string;

beforeAll(async () => {
  server = await startS3Server();
  scratch = await mkdtemp(join(tmpdir(), 'plugboard-s3-outage-'));
});

afterAll(async () => {
  await server?.dispose();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function s3(): S3StorageAdapter {
  return new S3StorageAdapter({
    endpoint: server.endpoint,
    bucket: uniqueName('outage').toLowerCase(),
    region: 'us-east-1',
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    reprobeIntervalMs: REPROBE_MS,
    spoolDir: scratch,
    probeTimeoutMs: 1_000,
  });
}

const text = (value: string) => Readable.from([Buffer.from(value)]);

async function readText(stream: Readable): Promise<string> {
  return (await readAll(stream)).toString();
}

describe('S3 outage (STORAGE_FALLBACK=none)', () => {
  let storage: S3StorageAdapter;

  beforeEach(async () => {
    storage = s3();
    await storage.open();
  });
  afterEach(async () => {
    await storage.close();
    await server.restart();
  });

  it('goes down with the reason, fails fast, and recovers by itself after a restart', async () => {
    await storage.put('before.txt', text('kept'));
    expect((await storage.health()).status).toBe('up');

    await server.stop();
    const down = await storage.health();
    expect(down).toMatchObject({ socket: 'files', plug: 's3', status: 'down' });
    expect(down.detail).toMatch(/ECONNREFUSED/);

    const source = text('lost?');
    const error = await storageError(storage.put('during.txt', source));
    expect(error.code).toBe(ErrorCode.StorageUnavailable);
    expect(source.destroyed).toBe(true);
    expect((await storageError(storage.get('before.txt'))).code).toBe(ErrorCode.StorageUnavailable);

    await server.restart();
    await waitFor('S3 health up again', async () => (await storage.health()).status === 'up', { timeoutMs: 10_000, intervalMs: 50 });
    expect(await readText((await storage.get('before.txt')).stream)).toBe('kept');
    expect(await storage.exists('during.txt')).toBe(false);
  });

  it('starts down when S3 is unreachable at boot, then comes up without a new adapter', async () => {
    await server.stop();
    const late = s3();
    await late.open();
    expect((await late.health()).status).toBe('down');
    await server.restart();
    await waitFor('S3 health up after boot outage', async () => (await late.health()).status === 'up', { timeoutMs: 10_000, intervalMs: 50 });
    await expect(late.put('late.txt', text('ok'))).resolves.toMatchObject({ size: 2 });
    await late.close();
  });
});

describe('S3 outage (STORAGE_FALLBACK=local)', () => {
  it('writes to the local folder while S3 is down, reports degraded, and moves back to S3', async () => {
    const root = join(scratch, 'fallback');
    const storage = new FallbackStorageAdapter(s3(), new LocalStorageAdapter({ root }), root);
    await storage.open();
    await storage.put('a.txt', text('in s3'));

    await server.stop();
    await storage.health(); // notices the outage
    const degraded = await storage.health();
    expect(degraded).toMatchObject({ socket: 'files', plug: 's3+local-fallback', status: 'degraded' });
    expect(degraded.detail).toContain(root);
    expect(degraded.detail).toMatch(/migrate/);

    await storage.put('b.txt', text('on disk'), { contentType: 'text/plain' });
    expect(await readText((await storage.get('b.txt')).stream)).toBe('on disk');
    // Not on disk and S3 unreachable: unknown, not "missing".
    expect((await storageError(storage.get('a.txt'))).code).toBe(ErrorCode.StorageUnavailable);

    await server.restart();
    await waitFor('fallback health up', async () => (await storage.health()).status === 'up', { timeoutMs: 10_000, intervalMs: 50 });
    expect(await readText((await storage.get('a.txt')).stream)).toBe('in s3');
    expect(await readText((await storage.get('b.txt')).stream)).toBe('on disk');
    expect((await storage.stat('b.txt'))?.contentType).toBe('text/plain');

    await storage.put('b.txt', text('now in s3'));
    const local = new LocalStorageAdapter({ root });
    expect(await local.exists('b.txt')).toBe(false);
    expect(await readText((await storage.get('b.txt')).stream)).toBe('now in s3');
    await storage.close();
  });
});
