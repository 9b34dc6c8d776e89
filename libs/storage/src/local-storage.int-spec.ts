import { ErrorCode } from '@plugboard/contracts';
import { Test } from '@nestjs/testing';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runStorageContract } from './__tests__/storage.contract';
import { LocalStorageAdapter } from './local-storage.adapter';
import { StorageError } from './storage.errors';
import { StorageModule } from './storage.module';
import { StoragePort } from './storage.port';
import type { StorageConfig } from './storage.factory';

const scratch: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'plugboard-local-storage-'));
  scratch.push(dir);
  return dir;
}

/** Hidden temp files anywhere under `root`: a put's bytes (`.tmp`) and its content type's sidecar (`.tmp.type`). */
async function tempFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true });
  return entries.filter((entry) => /\.tmp(\.type)?$/.test(entry));
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return (error as StorageError).code;
  }
  throw new Error('expected a StorageError');
}

const text = (value: string) => Readable.from([Buffer.from(value)]);

afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

runStorageContract(
  'local disk',
  async () => {
    const root = join(await tempDir(), 'media');
    const storage = new LocalStorageAdapter({ root });
    await storage.open();
    return { storage, leftovers: () => tempFiles(root) };
  },
  { manyObjects: 1100 },
);

describe('LocalStorageAdapter on disk', () => {
  let base: string;
  let root: string;
  let outside: string;
  let storage: LocalStorageAdapter;

  beforeEach(async () => {
    base = await tempDir();
    root = join(base, 'data');
    outside = join(base, 'data-evil');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    storage = new LocalStorageAdapter({ root });
    await storage.open();
  });

  it('creates the root and the folders of a key', async () => {
    await storage.put('chat/2024/01/a.txt', text('a'));
    expect(await readFile(join(root, 'chat/2024/01/a.txt'), 'utf8')).toBe('a');
  });

  it('refuses a folder symlink that leads outside the root, creating nothing through it', async () => {
    await symlink(outside, join(root, 'evil'));
    expect(await code(storage.put('evil/x.txt', text('x')))).toBe(ErrorCode.InvalidKey);
    expect(await code(storage.put('evil/deep/er/x.txt', text('x')))).toBe(ErrorCode.InvalidKey);
    expect(existsSync(join(outside, 'x.txt'))).toBe(false);
    expect(existsSync(join(outside, 'deep'))).toBe(false);
    expect(await code(storage.get('evil/secret.txt'))).toBe(ErrorCode.InvalidKey);
    expect(await code(storage.stat('evil/secret.txt'))).toBe(ErrorCode.InvalidKey);
    const listed: string[] = [];
    for await (const item of storage.list('')) listed.push(item.key);
    expect(listed).toEqual([]);
  });

  it('refuses a folder that existed and was then swapped for a symlink leading outside', async () => {
    await storage.put('swapped/deep/a.txt', text('a'));
    await rm(join(root, 'swapped'), { recursive: true });
    await symlink(outside, join(root, 'swapped'));
    await mkdir(join(outside, 'deep'));
    expect(await code(storage.put('swapped/deep/b.txt', text('b')))).toBe(ErrorCode.InvalidKey);
    expect(existsSync(join(outside, 'deep', 'b.txt'))).toBe(false);
  });

  it('refuses a file symlink that leads outside the root (the `data-evil` sibling of `data`)', async () => {
    await symlink(join(outside, 'secret.txt'), join(root, 'secret.txt'));
    expect(await code(storage.get('secret.txt'))).toBe(ErrorCode.InvalidKey);
    expect(await code(storage.exists('secret.txt'))).toBe(ErrorCode.InvalidKey);
    await storage.delete('secret.txt');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('follows a symlink that stays inside the root', async () => {
    await storage.put('real/a.txt', text('inside'));
    await symlink(join(root, 'real'), join(root, 'alias'));
    const got = await storage.get('alias/a.txt');
    expect((await readAll(got.stream)).toString()).toBe('inside');
  });

  it('reports CONFLICT when a key runs into an object used as a folder', async () => {
    await storage.put('a.txt', text('file'));
    expect(await code(storage.put('a.txt/b.txt', text('x')))).toBe(ErrorCode.Conflict);
  });

  it('keeps serving the version a reader opened while an overwrite lands', async () => {
    await storage.put('v.txt', text('first version'));
    const reading = await storage.get('v.txt');
    await storage.put('v.txt', text('second'));
    expect((await readAll(reading.stream)).toString()).toBe('first version');
    expect((await readAll((await storage.get('v.txt')).stream)).toString()).toBe('second');
  });

  it('reports down when the root is not a usable folder', async () => {
    const file = join(base, 'not-a-folder');
    await writeFile(file, 'x');
    const broken = new LocalStorageAdapter({ root: file });
    const health = await broken.health();
    expect(health).toMatchObject({ socket: 'files', plug: 'local', status: 'down' });
    expect(health.detail).toContain(file);
  });

  it('is provided by StorageModule.forRoot and closed with the app', async () => {
    const config = { STORAGE_TYPE: 'local', STORAGE_FALLBACK: 'none', STORAGE_LOCAL_PATH: join(base, 'module') } as StorageConfig;
    const moduleRef = await Test.createTestingModule({ imports: [StorageModule.forRoot(config)] }).compile();
    const provided = moduleRef.get(StoragePort);
    expect(provided).toBeInstanceOf(LocalStorageAdapter);
    await provided.put('m.txt', text('m'));
    expect(existsSync(join(base, 'module', 'm.txt'))).toBe(true);
    await moduleRef.close();
  });
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
