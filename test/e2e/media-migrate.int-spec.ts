import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type S3ServerHandle, startS3Server, uniqueName, waitFor } from '@plugboard/testing';
import { buildWhenReachable } from './support/build';
import { type MediaStack, startMediaStack } from './support/media-stack';
import { getJson } from './support/service-process';

const KiB = 1024;
const UNREACHABLE = 'NATS or PostgreSQL unreachable';
const OBJECTS = 40;

interface Status {
  state: string;
  copied: number;
  verified: number;
  skipped: number;
  total: number;
  bytes: number;
  errors: { key: string; message: string }[];
}

interface Stored {
  id: string;
  key: string;
  size: number;
  sha256: string;
}

// Gateway + media-service (+ infra-admin for PostgreSQL migrations) as separate processes over NATS;
// the media files move local → S3 (s3rver) → local, with a media-service killed mid-way.
describe('storage migration through the gateway (separate processes)', () => {
  let reachable = false;
  let stack: MediaStack | undefined;
  let s3: S3ServerHandle | undefined;
  const tag = uniqueName('pbmig').replace(/-/g, '_');
  let base: string;
  let auth: MediaStack['auth'];
  let cwd: string;
  let localRoot: string;

  const progress = async () => (await getJson<Status>(`${base}/api/infra/storage/migrate`, auth)).body;
  const migrate = (to: string) => fetch(`${base}/api/infra/storage/migrate`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
  const migrated = async (to: string): Promise<Status> => {
    const started = await migrate(to);
    expect(started.status, await started.clone().text()).toBe(202);
    let last: Status | undefined;
    await waitFor(`migration to ${to}`, async () => (last = await progress()).state !== 'running', { timeoutMs: 60_000, intervalMs: 100 });
    return last!;
  };
  const generated = () => readFileSync(join(cwd, 'data', '.env.generated'), 'utf8');

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'PostgreSQL');
    if (!reachable) return;
    s3 = await startS3Server();
    stack = await startMediaStack({
      tag,
      database: 'pb_migrate_test',
      readyRoute: '/api/infra/storage/migrate',
      // No STORAGE_TYPE here: it starts as `local` and later comes from <DATA_DIR>/.env.generated.
      env: { S3_ENDPOINT: s3.endpoint, S3_BUCKET: 'pb-migrate-e2e', S3_ACCESS_KEY_ID: s3.accessKey, S3_SECRET_ACCESS_KEY: s3.secretKey },
    });
    ({ base, auth, cwd } = stack);
    localRoot = join(cwd, 'media-local');
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    await s3?.dispose();
  });

  it('moves every file local → S3 (resuming after a kill) and back, keys, sizes and sha256s identical', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const stored: Stored[] = [];
    // One multipart upload among raw ones: the multipart reader feeds the same store.
    const form = new FormData();
    const multipartBytes = randomBytes(300 * KiB);
    form.append('note', 'ignored field before the file');
    form.append('file', new Blob([multipartBytes], { type: 'image/png' }), 'photo.png');
    const multipart = await fetch(`${base}/api/media`, { method: 'POST', headers: auth, body: form });
    expect(multipart.status).toBe(201);
    const first = (await multipart.json()) as { id: string; size: number; sha256: string; mimeType: string };
    expect(first).toMatchObject({ size: multipartBytes.length, sha256: sha256(multipartBytes), mimeType: 'image/png' });
    stored.push({ id: first.id, key: `media/${first.id}`, size: first.size, sha256: first.sha256 });
    for (let i = 1; i < OBJECTS; i++) {
      const bytes = randomBytes(512 * KiB + i);
      const r = await fetch(`${base}/api/media?filename=f${i}.bin`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: bytes });
      expect(r.status).toBe(201);
      const { id } = (await r.json()) as { id: string };
      stored.push({ id, key: `media/${id}`, size: bytes.length, sha256: sha256(bytes) });
    }
    expect((await progress()).state).toBe('idle');
    await expect(migrate('local').then((r) => r.status)).resolves.toBe(409);
    const bad = await migrate('ftp');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });

    // Kill the media-service mid-way: nothing switched, nothing persisted.
    expect((await migrate('s3')).status).toBe(202);
    let atKill: Status | undefined;
    await waitFor('some objects copied', async () => (atKill = await progress()).copied >= 5, { timeoutMs: 30_000, intervalMs: 10 });
    stack!.media().kill('SIGKILL');
    await stack!.media().exited;
    expect(atKill!.state).toBe('running');
    expect(atKill!.verified).toBeLessThan(OBJECTS);
    expect(existsSync(join(cwd, 'data', '.env.generated'))).toBe(false);
    await stack!.restartMedia();
    expect((await progress()).state).toBe('idle');
    for (const object of stored.slice(0, 3)) expect(existsSync(join(localRoot, object.key))).toBe(true);

    // Resumed: what reached S3 before the kill is verified and skipped, not copied again.
    const toS3 = await migrated('s3');
    expect(toS3).toMatchObject({ state: 'switched', total: OBJECTS, verified: OBJECTS, errors: [] });
    expect(toS3.skipped).toBeGreaterThanOrEqual(atKill!.verified);
    expect(toS3.skipped + toS3.copied).toBe(OBJECTS);
    expect(generated()).toMatch(/^STORAGE_TYPE=s3$/m);
    expect(statSync(join(cwd, 'data', '.env.generated')).mode & 0o777).toBe(0o600);

    // Switched at once, without a restart: a new upload lands in S3, not on the local disk.
    const after = randomBytes(64 * KiB);
    const late = await fetch(`${base}/api/media?filename=late.bin`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: after });
    const lateId = ((await late.json()) as { id: string }).id;
    stored.push({ id: lateId, key: `media/${lateId}`, size: after.length, sha256: sha256(after) });
    expect(existsSync(join(localRoot, 'media', lateId))).toBe(false);
    await expectDownloads(stored);

    // A restart keeps S3 (from .env.generated): the late file is there, and s3 is the plug in use.
    await stack!.restartMedia();
    await expectDownloads(stored);
    expect((await migrate('s3')).status).toBe(409);

    // And back to local: every file on disk with the same size and sha256.
    const toLocal = await migrated('local');
    expect(toLocal).toMatchObject({ state: 'switched', total: OBJECTS + 1, verified: OBJECTS + 1, errors: [] });
    expect(generated()).toMatch(/^STORAGE_TYPE=local$/m);
    expect(generated().match(/STORAGE_TYPE=/g)).toHaveLength(1);
    for (const object of stored) {
      const bytes = readFileSync(join(localRoot, object.key));
      expect({ key: object.key, size: bytes.length, sha256: sha256(bytes) }).toEqual({ key: object.key, size: object.size, sha256: object.sha256 });
    }
    await expectDownloads(stored);
  }, 240_000);

  async function expectDownloads(objects: Stored[]): Promise<void> {
    for (const object of objects) {
      const response = await fetch(`${base}/api/media/${object.id}`, { headers: auth });
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect({ size: bytes.length, sha256: sha256(bytes) }).toEqual({ size: object.size, sha256: object.sha256 });
    }
  }
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
