import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type S3ServerHandle, startS3Server, uniqueName, waitFor } from '@plugboard/testing';
import { pack } from 'tar-stream';
import { buildWhenReachable } from './support/build';
import { type MediaStack, startMediaStack } from './support/media-stack';
import { getJson } from './support/service-process';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const LARGE = GiB;
/** MEDIA_MAX_BYTES of this stack: room for the large file, refusals just above it. */
const CAP = LARGE + 64 * MiB;
const UNREACHABLE = 'NATS or PostgreSQL unreachable';

interface Manifest {
  objects: { key: string; size: number; sha256: string }[];
}

// Gateway + media-service (+ infra-admin for PostgreSQL migrations) as separate processes over NATS.
describe('media through the gateway (separate processes)', () => {
  let reachable = false;
  let stack: MediaStack | undefined;
  let s3: S3ServerHandle | undefined;
  const tag = uniqueName('pbmedia').replace(/-/g, '_');
  let base: string;
  let auth: MediaStack['auth'];

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'PostgreSQL');
    if (!reachable) return;
    stack = await startMediaStack({ tag, database: 'pb_media_test', readyRoute: '/api/media', env: { MEDIA_MAX_BYTES: String(CAP) } });
    ({ base, auth } = stack);
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    await s3?.dispose();
  });

  it('streams a 1 GiB upload and download with flat memory in the media-service, sha256 intact', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const pid = stack!.media().child.pid!;
    const baseline = rssBytes(pid);
    let peak = baseline;
    const poll = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
    try {
      const sent = createHash('sha256');
      const body = Readable.from(
        (function* () {
          for (let i = 0; i < LARGE / MiB; i++) {
            const chunk = randomBytes(MiB);
            sent.update(chunk);
            yield chunk;
          }
        })(),
      );
      const upload = await send('POST', `${base}/api/media?filename=big.bin`, body, { ...auth, 'content-type': 'application/octet-stream', 'content-length': String(LARGE) });
      expect(upload.status, upload.text).toBe(201);
      const record = JSON.parse(upload.text) as { id: string; size: number; sha256: string };
      const expected = sent.digest('hex');
      expect(record).toMatchObject({ size: LARGE, sha256: expected });

      const response = await fetch(`${base}/api/media/${record.id}`, { headers: auth });
      expect(response.status).toBe(200);
      const received = createHash('sha256');
      let bytes = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        received.update(chunk);
        bytes += chunk.length;
      }
      expect(bytes).toBe(LARGE);
      expect(received.digest('hex')).toBe(expected);
      const growth = peak - baseline;
      console.log(`media: 1 GiB up+down, media-service RSS ${(baseline / MiB).toFixed(0)} MiB → peak ${(peak / MiB).toFixed(0)} MiB (growth ${(growth / MiB).toFixed(1)} MiB)`);
      expect(growth).toBeLessThan(100 * 1000 * 1000);
      expect((await fetch(`${base}/api/media/${record.id}`, { method: 'DELETE', headers: auth })).status).toBe(200);
    } finally {
      clearInterval(poll);
    }
  }, 300_000);

  it('serves ranges, safe headers, and refuses bad input with codes', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const upload = await fetch(`${base}/api/media?filename=${encodeURIComponent('bad"name\r\n.txt')}&sessionId=s1`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hello world',
    });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };
    const part = await fetch(`${base}/api/media/${id}`, { headers: { ...auth, range: 'bytes=0-4' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 0-4/11');
    expect(await part.text()).toBe('hello');
    const suffix = await fetch(`${base}/api/media/${id}`, { headers: { ...auth, range: 'bytes=-5' } });
    expect(await suffix.text()).toBe('world');
    const whole = await fetch(`${base}/api/media/${id}`, { headers: auth });
    expect(whole.headers.get('content-type')).toBe('text/plain');
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
    expect(whole.headers.get('content-disposition')).toMatch(/^attachment; filename="bad_name__.txt"; filename\*=UTF-8''/);
    await whole.text();

    const past = await fetch(`${base}/api/media/${id}`, { headers: { ...auth, range: 'bytes=100-' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */11');
    expect(await past.json()).toMatchObject({ error: { code: 'RANGE_NOT_SATISFIABLE' } });

    const listed = await getJson<{ items: { id: string }[] }>(`${base}/api/media?sessionId=s1`, auth);
    expect(listed.body.items.map((i) => i.id)).toContain(id);

    await expect(getJson(`${base}/api/media/00000000-0000-4000-8000-000000000000`, auth)).resolves.toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    await expect(getJson(`${base}/api/media/..%2F..%2Fetc%2Fpasswd`, auth)).resolves.toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    const tooLarge = await send('POST', `${base}/api/media`, Readable.from([]), { ...auth, 'content-type': 'application/octet-stream', 'content-length': String(CAP + MiB) }, true);
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    await expect(getJson(`${base}/api/media`)).resolves.toMatchObject({ status: 401 });

    const before = await storageState();
    const short = await send('POST', `${base}/api/media`, Readable.from([Buffer.alloc(10)]), { ...auth, 'content-type': 'application/octet-stream', 'content-length': '100' }, true);
    expect(short.status === 0 || (short.status >= 400 && short.status < 500)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(await storageState()).toEqual(before);
  }, 60_000);

  it('refuses hostile or broken archives, leaving storage exactly as it was', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    const good = await exportArchive();
    const manifest = manifestOf(good);
    expect(manifest.objects.length).toBeGreaterThan(0);
    const before = await storageState();
    const object = { id: '11111111-1111-4111-8111-111111111111', key: 'media/11111111-1111-4111-8111-111111111111', size: 3, mimeType: 'text/plain', direction: 'inbound', sessionId: null, messageId: null, filename: null, createdAt: new Date().toISOString() };
    const sha = createHash('sha256').update('abc').digest('hex');
    const manifestOfOne = (extra: object = {}) => JSON.stringify({ format: 'plugboard-media', version: 1, createdAt: new Date().toISOString(), objects: [{ ...object, sha256: sha, ...extra }] });
    const cases: Record<string, Buffer> = {
      traversal: await tarGz([{ name: 'manifest.json', body: manifestOfOne() }, { name: 'objects/../x', body: 'abc' }]),
      absolute: await tarGz([{ name: 'manifest.json', body: manifestOfOne() }, { name: '/etc/passwd', body: 'abc' }]),
      symlink: await tarGz([{ name: 'manifest.json', body: manifestOfOne() }, { name: `objects/${object.key}`, type: 'symlink', linkname: '/etc/passwd' }]),
      overCap: await tarGz([{ name: 'manifest.json', body: manifestOfOne({ size: CAP + 100 * MiB }) }]),
      badSha: await tarGz([{ name: 'manifest.json', body: manifestOfOne({ sha256: 'f'.repeat(64) }) }, { name: `objects/${object.key}`, body: 'abc' }]),
      truncated: good.subarray(0, Math.floor(good.length / 2)),
    };
    for (const [name, archive] of Object.entries(cases)) {
      const response = await fetch(`${base}/api/infra/storage/import`, { method: 'POST', headers: { ...auth, 'content-type': 'application/gzip' }, body: archive });
      const body = (await response.json()) as { error?: { code: string } };
      expect(response.status, `${name}: ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(response.status, name).toBeLessThan(500);
      expect(body.error?.code, name).toMatch(/^[A-Z_]+$/);
      expect(await storageState(), name).toEqual(before);
    }
    const again = await fetch(`${base}/api/infra/storage/import`, { method: 'POST', headers: { ...auth, 'content-type': 'application/gzip' }, body: good });
    expect(await again.json()).toMatchObject({ imported: 0, skipped: manifest.objects.length, failed: 0 });
  }, 60_000);

  it('backs up from local, restores into S3, and back, with identical keys, sizes and sha256s; S3 outage shows and heals', async ({ skip }) => {
    skip(!reachable, UNREACHABLE);
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${base}/api/media?filename=f${i}.bin`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: randomBytes(100_000 + i) });
      expect(r.status).toBe(201);
    }
    const fromLocal = await exportArchive();
    const original = sorted(manifestOf(fromLocal));
    await deleteAllRows();
    s3 = await startS3Server();
    const s3Env = {
      STORAGE_TYPE: 's3',
      STORAGE_FALLBACK: 'none',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: 'pb-media-e2e',
      S3_ACCESS_KEY_ID: s3.accessKey,
      S3_SECRET_ACCESS_KEY: s3.secretKey,
      S3_REPROBE_INTERVAL_MS: '300',
    };
    await stack!.restartMedia(s3Env);
    const intoS3 = await fetch(`${base}/api/infra/storage/import`, { method: 'POST', headers: { ...auth, 'content-type': 'application/gzip' }, body: fromLocal });
    expect(await intoS3.json()).toMatchObject({ imported: original.length, skipped: 0, failed: 0 });
    const fromS3 = await exportArchive();
    expect(sorted(manifestOf(fromS3))).toEqual(original);

    // S3 outage: files socket down in health, uploads 503, back up without restarting the media-service.
    await s3.stop();
    const ready = `${stack!.mediaBase}/health/ready`;
    await waitFor('files socket down', async () => (await getJson(ready)).status === 503, { timeoutMs: 15_000, intervalMs: 200 });
    const refused = await fetch(`${base}/api/media`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'during outage' });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE' } });
    const pid = stack!.media().child.pid;
    await s3.restart();
    await waitFor('files socket up again', async () => (await getJson(ready)).status === 200, { timeoutMs: 15_000, intervalMs: 200 });
    expect(stack!.media().child.pid).toBe(pid);

    await deleteAllRows();
    await stack!.restartMedia({ STORAGE_LOCAL_PATH: join(stack!.cwd, 'media-local-2') });
    const back = await fetch(`${base}/api/infra/storage/import`, { method: 'POST', headers: { ...auth, 'content-type': 'application/gzip' }, body: fromS3 });
    expect(await back.json()).toMatchObject({ imported: original.length });
    expect(sorted(manifestOf(await exportArchive()))).toEqual(original);
  }, 180_000);

  async function exportArchive(): Promise<Buffer> {
    const response = await fetch(`${base}/api/infra/storage/export`, { headers: auth });
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  }

  async function deleteAllRows(): Promise<void> {
    for (;;) {
      const page = await getJson<{ items: { id: string }[] }>(`${base}/api/media?limit=500`, auth);
      if (!page.body.items.length) return;
      for (const item of page.body.items) await fetch(`${base}/api/media/${item.id}`, { method: 'DELETE', headers: auth });
    }
  }

  /** Rows and files as the media-service sees them, plus the orphan report. */
  async function storageState(): Promise<unknown> {
    const check = await getJson<{ objects: number; rows: number; orphanFiles: string[]; orphanRows: unknown[] }>(`${base}/api/infra/storage/check`, auth);
    expect(check.status).toBe(200);
    const export_ = manifestOf(await exportArchive());
    const { objects, rows, orphanFiles, orphanRows } = check.body;
    return { objects, rows, orphanFiles, orphanRows, manifest: sorted(export_) };
  }
});

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

function manifestOf(archive: Buffer): Manifest {
  const tar = gunzipSync(archive);
  const size = parseInt(tar.subarray(124, 136).toString('latin1').trim(), 8);
  return JSON.parse(tar.subarray(512, 512 + size).toString('utf8')) as Manifest;
}

function sorted(manifest: Manifest): { key: string; size: number; sha256: string }[] {
  return manifest.objects.map(({ key, size, sha256 }) => ({ key, size, sha256 })).sort((a, b) => a.key.localeCompare(b.key));
}

async function tarGz(entries: { name: string; body?: string; type?: 'symlink'; linkname?: string }[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => tar.on('end', () => resolve()));
  for (const entry of entries) {
    if (entry.type === 'symlink') tar.entry({ name: entry.name, type: 'symlink', linkname: entry.linkname });
    else tar.entry({ name: entry.name }, entry.body ?? '');
  }
  tar.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** A raw HTTP request (fetch cannot send a lying Content-Length); status 0 when the server closed without answering. */
function send(method: string, url: string, body: Readable, headers: Record<string, string>, tolerateReset = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', (error) => (tolerateReset ? resolve({ status: res.statusCode ?? 0, text }) : reject(error)));
    });
    req.on('error', (error) => (tolerateReset ? resolve({ status: 0, text: String(error) }) : reject(error)));
    body.on('end', () => {
      // A body shorter than its Content-Length: end the socket instead of the request.
      if (tolerateReset) setTimeout(() => req.socket?.end(), 100);
    });
    req.flushHeaders();
    body.pipe(req, { end: !tolerateReset });
  });
}
