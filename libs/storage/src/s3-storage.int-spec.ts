import { startS3Server, uniqueName, type S3ServerHandle } from '@plugboard/testing';
import { Client } from 'minio';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runStorageContract } from './__tests__/storage.contract';
import { S3StorageAdapter, type S3StorageOptions } from './s3-storage.adapter';

// s3rver is a devDependency, so this suite always runs: nothing to skip.
let server: S3ServerHandle;
let spoolDir: string;
const adapters: S3StorageAdapter[] = [];

beforeAll(async () => {
  server = await startS3Server();
  spoolDir = await mkdtemp(join(tmpdir(), 'plugboard-s3-spool-'));
});

afterAll(async () => {
  await Promise.all(adapters.map((adapter) => adapter.close()));
  await server?.dispose();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

function options(overrides: Partial<S3StorageOptions> = {}): S3StorageOptions {
  return {
    endpoint: server.endpoint,
    bucket: uniqueName('media').toLowerCase(),
    region: 'us-east-1',
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    reprobeIntervalMs: 60_000,
    spoolDir,
    ...overrides,
  };
}

async function opened(overrides: Partial<S3StorageOptions> = {}): Promise<S3StorageAdapter> {
  const adapter = new S3StorageAdapter(options(overrides));
  adapters.push(adapter);
  await adapter.open();
  return adapter;
}

function rawClient(): Client {
  return new Client({ endPoint: '127.0.0.1', port: server.port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', pathStyle: true, region: 'us-east-1' });
}

runStorageContract(
  's3 (s3rver)',
  async () => ({ storage: await opened(), leftovers: () => readdir(spoolDir) }),
  { manyObjects: 1100 },
);

describe('S3StorageAdapter on s3rver', () => {
  it('creates a missing bucket on open, and opens again on an existing one', async () => {
    const bucket = uniqueName('fresh').toLowerCase();
    expect(await rawClient().bucketExists(bucket)).toBe(false);
    await opened({ bucket });
    expect(await rawClient().bucketExists(bucket)).toBe(true);
    const again = await opened({ bucket });
    expect((await again.health()).status).toBe('up');
  });

  it('stores objects under S3_KEY_PREFIX and strips it when listing', async () => {
    const bucket = uniqueName('prefixed').toLowerCase();
    const storage = await opened({ bucket, keyPrefix: '/tenant-a/' });
    await storage.put('chat/a.txt', Readable.from([Buffer.from('a')]), { size: 1 });
    const raw = await rawClient().statObject(bucket, 'tenant-a/chat/a.txt');
    expect(raw.size).toBe(1);
    const keys: string[] = [];
    for await (const item of storage.list('')) keys.push(item.key);
    expect(keys).toEqual(['chat/a.txt']);
  });
});
