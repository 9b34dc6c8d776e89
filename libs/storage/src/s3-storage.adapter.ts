import { ErrorCode, type SocketHealth } from '@plugboard/contracts';
import { Client } from 'minio';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { assertRangeShape } from './byte-range';
import { ContentDigest } from './content-digest';
import { normalizeContentType } from './content-type';
import { assertValidKey, assertValidPrefix } from './storage-key';
import { StorageError, errorMessage } from './storage.errors';
import { STREAM_BUFFER_BYTES } from './stream-buffer';
import { streamToFile } from './stream-to-file';
import { StoragePort, type ByteRange, type GetResult, type ListedObject, type ObjectStat, type PutOptions, type PutResult } from './storage.port';
import { withTimeout } from './with-timeout';

export interface S3StorageOptions {
  /** `http(s)://host:port` of the S3 server; requests are path-style (`/<bucket>/<key>`), which works with IPs and MinIO. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** Prepended to every key (`media` → `media/<key>`), so several installations can share a bucket. */
  keyPrefix?: string;
  /** How often an unreachable server is probed again. */
  reprobeIntervalMs: number;
  /** Where puts spool their bytes before the upload; default the OS temp folder. */
  spoolDir?: string;
  /** Bound of the health and boot probes. */
  probeTimeoutMs?: number;
}

/** S3's limit for one PUT; multipart is not used (see `put`). */
export const MAX_S3_OBJECT_BYTES = 5 * 1024 ** 3;
const PROBE_TIMEOUT_MS = 2_000;
const LIST_PAGE_SIZE = 1000;
// Errors that mean "the server is not there", as opposed to "the server said no".
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const SERVER_BUSY = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout']);

type S3State = { status: 'up' } | { status: 'down'; reason: string };

/**
 * The files socket on an S3-compatible server (AWS S3, MinIO) through the `minio` client.
 * On open it makes sure the bucket exists (never touching its policy: objects stay private).
 * When the server is unreachable the plug is `down` with the reason, fails every call at once
 * with STORAGE_UNAVAILABLE, and probes again every `reprobeIntervalMs` until it is back.
 */
export class S3StorageAdapter extends StoragePort {
  readonly plug = 's3';
  private readonly client: Client;
  private readonly keyPrefix: string;
  private state: S3State = { status: 'down', reason: 'not opened yet' };
  private reprobeTimer?: NodeJS.Timeout;
  private probing?: Promise<void>;
  private closed = false;

  constructor(private readonly options: S3StorageOptions) {
    super();
    const url = new URL(options.endpoint);
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: true,
      // Bodies are streams, which cannot be sent twice; failures are reported, not retried blindly.
      retryOptions: { disableRetry: true },
    });
    this.keyPrefix = normalizeKeyPrefix(options.keyPrefix ?? '');
  }

  /** Probes the server and creates the bucket if missing; an unreachable server leaves the plug `down`, re-probing. */
  async open(): Promise<void> {
    await mkdir(this.spoolDir, { recursive: true });
    await this.probe();
  }

  /**
   * Spools the stream to a temp file (hashing and counting on the way, flat memory), then
   * uploads it in one PUT with its length and SHA-256. Why always spool: S3 needs the length
   * up front; multipart is not used because s3rver lacks it; and servers differ on a body cut
   * short (s3rver keeps the truncated object), so a source that fails or lies about its size
   * must fail before anything reaches the server. Hence one PUT, at most 5 GiB.
   */
  async put(key: string, stream: Readable, options: PutOptions = {}): Promise<PutResult> {
    let spool: string | undefined;
    try {
      assertValidKey(key);
      const contentType = normalizeContentType(key, options.contentType);
      const digest = new ContentDigest({ key, size: options.size, maxBytes: MAX_S3_OBJECT_BYTES });
      this.assertUp(key);
      spool = join(this.spoolDir, `plugboard-s3-${randomBytes(8).toString('hex')}.spool`);
      await streamToFile(key, stream, digest, spool, { durable: false });
      const sha256 = digest.sha256();
      const body = createReadStream(spool, { highWaterMark: STREAM_BUFFER_BYTES });
      await this.call(key, async () => {
        const headers = { 'content-length': String(digest.size), 'content-type': contentType };
        const request = { method: 'PUT', bucketName: this.options.bucket, objectName: this.objectName(key), headers };
        // Over plain http the payload hash is signed, so the server rejects bytes altered in transit.
        const payloadHash = this.client.enableSHA256 ? sha256 : '';
        const response = await this.client.makeRequestStreamAsync(request, body, payloadHash, [200], this.options.region);
        response.resume();
      }).finally(() => body.destroy());
      return { key, size: digest.size, sha256 };
    } catch (error) {
      stream.destroy();
      throw this.toStorageError(error, key);
    } finally {
      if (spool) await rm(spool, { force: true });
    }
  }

  async get(key: string, range?: ByteRange): Promise<GetResult> {
    assertValidKey(key);
    if (range) assertRangeShape(key, range);
    return this.call(key, async () => {
      const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end ?? ''}` } : {};
      const request = { method: 'GET', bucketName: this.options.bucket, objectName: this.objectName(key), headers };
      const response = await this.client.makeRequestAsync(request, '', range ? [206] : [200]);
      const contentType = response.headers['content-type'];
      if (!range) return { stream: response, size: Number(response.headers['content-length']), contentType };
      const delivered = parseContentRange(response);
      // s3rver answers a range of an empty object with 206 instead of 416.
      if (!delivered || delivered.size === 0 || delivered.start !== range.start) {
        response.destroy();
        throw StorageError.rangeNotSatisfiable(key, range.start, delivered?.size);
      }
      return { stream: response, size: delivered.size, contentType, range: { start: delivered.start, end: delivered.end } };
    });
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertValidKey(key);
    try {
      return await this.call(key, async () => {
        const info = await this.client.statObject(this.options.bucket, this.objectName(key));
        const contentType = (info.metaData as Record<string, string | undefined>)['content-type'];
        return { size: info.size, modifiedAt: info.lastModified, contentType };
      });
    } catch (error) {
      if (error instanceof StorageError && error.code === ErrorCode.NotFound) return null;
      throw error;
    }
  }

  /** S3 deletes are idempotent already: a missing key answers 204. */
  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.call(key, () => this.client.removeObject(this.options.bucket, this.objectName(key)));
  }

  /** ListObjectsV2, one page of 1000 keys at a time, in key order. */
  async *list(prefix: string): AsyncIterable<ListedObject> {
    assertValidPrefix(prefix);
    let token = '';
    do {
      const page = await this.call(undefined, () =>
        this.client.listObjectsV2Query(this.options.bucket, this.keyPrefix + prefix, token, '', LIST_PAGE_SIZE, ''),
      );
      for (const item of page.objects) {
        if (item.name) yield { key: item.name.slice(this.keyPrefix.length), size: item.size };
      }
      token = page.isTruncated ? page.nextContinuationToken : '';
    } while (token);
  }

  /** `down` with the reason while unreachable; otherwise a live HEAD of the bucket. */
  async health(): Promise<SocketHealth> {
    const base = { socket: 'files', plug: this.plug };
    if (this.state.status === 'down') return { ...base, status: 'down', detail: this.state.reason };
    const started = Date.now();
    try {
      await withTimeout(this.headBucket(), this.probeTimeoutMs, 'no answer in time');
      return { ...base, status: 'up', latencyMs: Date.now() - started };
    } catch (error) {
      this.markDown(this.describe(error));
      return { ...base, status: 'down', detail: this.describe(error) };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reprobeTimer);
    this.reprobeTimer = undefined;
    await this.probing;
  }

  /** True while the server answers; the fallback wrapper reads it to pick where puts go. */
  isAvailable(): boolean {
    return this.state.status === 'up';
  }

  /** The reason of the last failure while down. */
  unavailableReason(): string | undefined {
    return this.state.status === 'down' ? this.state.reason : undefined;
  }

  private get spoolDir(): string {
    return this.options.spoolDir ?? tmpdir();
  }

  private get probeTimeoutMs(): number {
    return this.options.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  }

  private objectName(key: string): string {
    return this.keyPrefix + key;
  }

  /** One probe at a time: HEAD the bucket, create it when missing. */
  private probe(): Promise<void> {
    this.probing ??= withTimeout(this.ensureBucket(), this.probeTimeoutMs, 'no answer in time')
      .then(
        () => this.markUp(),
        (error: unknown) => this.markDown(this.describe(error)),
      )
      .finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async ensureBucket(): Promise<void> {
    const { bucket, region } = this.options;
    if (await this.client.bucketExists(bucket)) return;
    try {
      await this.client.makeBucket(bucket, region);
    } catch (error) {
      // Another instance created it in the meantime: fine as long as it is reachable for us.
      if (!(await this.client.bucketExists(bucket))) throw error;
    }
  }

  private async headBucket(): Promise<void> {
    if (!(await this.client.bucketExists(this.options.bucket))) throw new Error(`bucket "${this.options.bucket}" does not exist`);
  }

  private markUp(): void {
    this.state = { status: 'up' };
    clearInterval(this.reprobeTimer);
    this.reprobeTimer = undefined;
  }

  private markDown(reason: string): void {
    this.state = { status: 'down', reason };
    if (this.reprobeTimer || this.closed) return;
    this.reprobeTimer = setInterval(() => void this.probe(), this.options.reprobeIntervalMs);
    this.reprobeTimer.unref();
  }

  private assertUp(key?: string): void {
    if (this.state.status === 'down') throw StorageError.unavailable(this.state.reason, key);
  }

  /** Fails fast while down; maps the client's errors to StorageError. */
  private async call<T>(key: string | undefined, operation: () => Promise<T>): Promise<T> {
    this.assertUp(key);
    try {
      return await operation();
    } catch (error) {
      throw this.toStorageError(error, key);
    }
  }

  private toStorageError(error: unknown, key: string | undefined): StorageError {
    if (error instanceof StorageError) return error;
    const code = (error as { code?: string } | undefined)?.code ?? '';
    if (NETWORK_ERRORS.has(code) || /socket hang up/i.test(errorMessage(error))) {
      this.markDown(this.describe(error));
      // A dropped keep-alive connection looks the same as a dead server: check at once.
      void this.probe();
      return StorageError.unavailable(this.describe(error), key);
    }
    if (code === 'NoSuchBucket') {
      this.markDown(this.describe(error));
      return StorageError.unavailable(this.describe(error), key);
    }
    if (SERVER_BUSY.has(code)) return StorageError.unavailable(this.describe(error), key);
    if (key !== undefined && (code === 'NoSuchKey' || code === 'NotFound')) return StorageError.notFound(key);
    if (key !== undefined && code === 'InvalidRange') return new StorageError(ErrorCode.RangeNotSatisfiable, `range past the end of "${key}"`, key);
    return new StorageError(ErrorCode.Internal, `S3 failed${key ? ` on "${key}"` : ''}: ${this.describe(error)}`, key);
  }

  private describe(error: unknown): string {
    const code = (error as { code?: string } | undefined)?.code;
    const message = errorMessage(error);
    return `${this.options.endpoint}: ${code && !message.includes(code) ? `${code} ` : ''}${message}`;
  }
}

/** `media/` from `media`, `/media/` or `media/`; empty stays empty. */
function normalizeKeyPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  assertValidKey(trimmed);
  return `${trimmed}/`;
}

/** `bytes 3-10/11` → start 3, end 10, size 11. */
function parseContentRange(response: IncomingMessage): { start: number; end: number; size: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers['content-range'] ?? '');
  return match ? { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) } : undefined;
}
