import type { Readable } from 'node:stream';
import type { SocketHealth } from '@plugboard/contracts';

/** Content type stored when a put names none, the same on every plug. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export interface PutOptions {
  /** Expected byte count: a stream that turns out longer or shorter fails the put and stores nothing. */
  size?: number;
  /** Returned by `get`/`stat`; default `application/octet-stream`. */
  contentType?: string;
}

export interface PutResult {
  key: string;
  size: number;
  /** Hex SHA-256 of the stored bytes, computed while they streamed through. */
  sha256: string;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`; no `end` means to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface GetResult {
  stream: Readable;
  /** Size of the whole object (not of the range). */
  size: number;
  contentType?: string;
  /** The delivered bytes, inclusive, when a range was asked: `end` is clipped to the last byte. */
  range?: { start: number; end: number };
}

export interface ObjectStat {
  size: number;
  modifiedAt: Date;
  contentType?: string;
}

export interface ListedObject {
  key: string;
  size: number;
}

/**
 * The files socket: objects addressed by `a/b/c.ext` keys (checked by `assertValidKey`, else
 * StorageError INVALID_KEY). Plugs: local disk and S3. Errors are StorageError with a code:
 * NOT_FOUND, INVALID_KEY, RANGE_NOT_SATISFIABLE, VALIDATION_FAILED (size mismatch),
 * PAYLOAD_TOO_LARGE, CONFLICT, STORAGE_UNAVAILABLE (backend down), INTERNAL.
 */
export abstract class StoragePort {
  /** Which plug this is (`local`, `s3`, `s3+local-fallback`), for health and logs. */
  abstract readonly plug: string;

  /** Prepares the backend (root folder, bucket). Idempotent; an unreachable S3 does not throw, it starts `down`. */
  abstract open(): Promise<void>;

  /**
   * Stores the stream under `key`, replacing any object there only once all bytes arrived:
   * a failed put (stream error, size mismatch) leaves no object and no temp file behind.
   * The put owns `stream`: it is consumed, or destroyed when the put fails.
   */
  abstract put(key: string, stream: Readable, options?: PutOptions): Promise<PutResult>;

  /** Streams the object, or the inclusive `range` of it; NOT_FOUND when missing, RANGE_NOT_SATISFIABLE when `start` is past the end. */
  abstract get(key: string, range?: ByteRange): Promise<GetResult>;

  /** Size, time and type of the object, or null when there is none. */
  abstract stat(key: string): Promise<ObjectStat | null>;

  /** True when an object is stored under `key`. */
  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  /** Removes the object; removing a missing one is not an error. */
  abstract delete(key: string): Promise<void>;

  /**
   * Moves the object at `from` to `to`, replacing any object there only once it is complete,
   * and removes `from`. This default copies the bytes (the put checks their count); plugs
   * that can rename in place override it, so a move costs no second write.
   */
  async move(from: string, to: string): Promise<void> {
    const got = await this.get(from);
    await this.put(to, got.stream, { size: got.size, contentType: got.contentType });
    await this.delete(from);
  }

  /** Every object whose key starts with `prefix` (a string prefix, as in S3), fetched page by page; order is the plug's own. */
  abstract list(prefix: string): AsyncIterable<ListedObject>;

  /** State of the backend, bounded by a short timeout; never throws. */
  abstract health(): Promise<SocketHealth>;

  /** Stops timers and releases resources; the instance is not used afterwards. */
  abstract close(): Promise<void>;
}
