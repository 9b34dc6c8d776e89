import { ErrorCode, type SocketHealth } from '@plugboard/contracts';
import type { Readable } from 'node:stream';
import type { LocalStorageAdapter } from './local-storage.adapter';
import type { S3StorageAdapter } from './s3-storage.adapter';
import { StorageError } from './storage.errors';
import { StoragePort, type ByteRange, type GetResult, type ListedObject, type ObjectStat, type PutOptions, type PutResult } from './storage.port';

/**
 * STORAGE_FALLBACK=local: S3 first, a local folder while S3 is unreachable. Puts land on the
 * local disk of this one instance during an outage, and stay there after S3 returns (reads
 * look in both places), so health says `degraded` while it happens and those files must be
 * migrated to S3 later (an other instance cannot see them). Writing a key to S3 again removes
 * its local copy.
 */
export class FallbackStorageAdapter extends StoragePort {
  readonly plug = 's3+local-fallback';

  constructor(
    private readonly primary: S3StorageAdapter,
    private readonly fallback: LocalStorageAdapter,
    private readonly fallbackRoot: string,
  ) {
    super();
  }

  async open(): Promise<void> {
    await Promise.all([this.primary.open(), this.fallback.open()]);
  }

  /** To S3 when it is up (then drops a local copy of the key), else to the local folder. */
  async put(key: string, stream: Readable, options?: PutOptions): Promise<PutResult> {
    if (!this.primary.isAvailable()) return this.fallback.put(key, stream, options);
    const result = await this.primary.put(key, stream, options);
    await this.fallback.delete(key);
    return result;
  }

  async get(key: string, range?: ByteRange): Promise<GetResult> {
    return this.fromEither(key, () => this.primary.get(key, range), () => this.fallback.get(key, range));
  }

  async stat(key: string): Promise<ObjectStat | null> {
    const found = (stat: ObjectStat | null) => stat ?? notFound(key);
    try {
      return await this.fromEither(key, async () => found(await this.primary.stat(key)), async () => found(await this.fallback.stat(key)));
    } catch (error) {
      if (error instanceof StorageError && error.code === ErrorCode.NotFound) return null;
      throw error;
    }
  }

  /** Removes both copies; while S3 is down that is not possible, so it fails with STORAGE_UNAVAILABLE after the local one. */
  async delete(key: string): Promise<void> {
    await this.fallback.delete(key);
    await this.primary.delete(key);
  }

  /** Objects in S3 (skipped while it is down), then those waiting in the local folder. */
  async *list(prefix: string): AsyncIterable<ListedObject> {
    if (this.primary.isAvailable()) yield* this.primary.list(prefix);
    yield* this.fallback.list(prefix);
  }

  /** `degraded` while S3 is down and puts land on the local fallback; `down` when neither works. */
  async health(): Promise<SocketHealth> {
    const [primary, fallback] = await Promise.all([this.primary.health(), this.fallback.health()]);
    const base = { socket: 'files', plug: this.plug };
    if (primary.status === 'up') return { ...base, status: 'up', latencyMs: primary.latencyMs };
    if (fallback.status !== 'up') return { ...base, status: 'down', detail: `${primary.detail}; fallback: ${fallback.detail}` };
    return {
      ...base,
      status: 'degraded',
      detail: `S3 unreachable (${primary.detail}); writing to the local fallback ${this.fallbackRoot}, migrate those files to S3 afterwards`,
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }

  /**
   * S3's answer when it has the object, else the local copy. While S3 is down and there is
   * no local copy the answer stays STORAGE_UNAVAILABLE: the object may well be in S3.
   */
  private async fromEither<T>(key: string, primary: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    try {
      return await primary();
    } catch (error) {
      const code = error instanceof StorageError ? error.code : undefined;
      if (code === ErrorCode.NotFound) return fallback();
      if (code !== ErrorCode.StorageUnavailable) throw error;
      return fallback().catch((fallbackError: unknown) => {
        throw fallbackError instanceof StorageError && fallbackError.code === ErrorCode.NotFound ? error : fallbackError;
      });
    }
  }
}

function notFound(key: string): never {
  throw StorageError.notFound(key);
}
