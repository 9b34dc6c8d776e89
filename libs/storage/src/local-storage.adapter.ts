import { ErrorCode, type SocketHealth } from '@plugboard/contracts';
import { randomBytes } from 'node:crypto';
import { constants, type Dir } from 'node:fs';
import { access, mkdir, open, opendir, readFile, realpath, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { resolveRange } from './byte-range';
import { ContentDigest } from './content-digest';
import { normalizeContentType } from './content-type';
import { assertValidKey, assertValidPrefix, isValidKey } from './storage-key';
import { StorageError, errorMessage } from './storage.errors';
import { STREAM_BUFFER_BYTES } from './stream-buffer';
import { streamToFile } from './stream-to-file';
import {
  DEFAULT_CONTENT_TYPE,
  StoragePort,
  type ByteRange,
  type GetResult,
  type ListedObject,
  type ObjectStat,
  type PutOptions,
  type PutResult,
} from './storage.port';
import { withTimeout } from './with-timeout';

export interface LocalStorageOptions {
  /** Folder that holds the objects (created on open); `a/b.jpg` is stored as `<root>/a/b.jpg`. */
  root: string;
  /** Bound of the health probe. */
  healthTimeoutMs?: number;
}

const HEALTH_TIMEOUT_MS = 1_000;

/**
 * The files socket on a local folder. Objects are plain files; a non-default content type is
 * kept in a hidden sidecar `.<name>.type` next to the file, and puts write a hidden temp file
 * in the target folder first, so the final rename is atomic. Keys never start a segment with
 * `.`, so neither can collide with an object. Every path is resolved with realpath and must
 * stay under the root's realpath, so a symlink inside the root cannot lead outside it.
 * Empty folders left by deletes stay (they cost nothing and removing them would race puts).
 */
export class LocalStorageAdapter extends StoragePort {
  readonly plug = 'local';
  private opening?: Promise<string>;

  constructor(private readonly options: LocalStorageOptions) {
    super();
  }

  /** Creates the root folder and pins its realpath. */
  async open(): Promise<void> {
    await this.root();
  }

  async put(key: string, stream: Readable, options: PutOptions = {}): Promise<PutResult> {
    const temps: string[] = [];
    try {
      assertValidKey(key);
      const contentType = normalizeContentType(key, options.contentType);
      const digest = new ContentDigest({ key, size: options.size });
      const segments = key.split('/');
      const name = segments.pop() as string;
      const dir = await this.ensureFolder(key, segments);
      const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
      temps.push(temp);
      const typeTemp = contentType === DEFAULT_CONTENT_TYPE ? undefined : `${temp}.type`;
      if (typeTemp) temps.push(typeTemp);
      // The bytes are synced before the rename publishes them, so a crash cannot publish a
      // hole. The type's sidecar does not depend on them: it is written while they stream in,
      // not after, and both are settled before any cleanup, so no temp is left behind.
      const [bytes, type] = await Promise.allSettled([
        streamToFile(key, stream, digest, temp, { durable: true }),
        typeTemp && writeFile(typeTemp, contentType, { flag: 'wx' }),
      ]);
      if (bytes.status === 'rejected') throw bytes.reason;
      if (type.status === 'rejected') throw type.reason;
      await rename(temp, join(dir, name));
      if (typeTemp) await rename(typeTemp, sidecarOf(join(dir, name)));
      else await rm(sidecarOf(join(dir, name)), { force: true });
      return { key, size: digest.size, sha256: digest.sha256() };
    } catch (error) {
      stream.destroy();
      await Promise.all(temps.map((temp) => rm(temp, { force: true })));
      throw toStorageError(error, key);
    }
  }

  async get(key: string, range?: ByteRange): Promise<GetResult> {
    try {
      assertValidKey(key);
      const path = await this.resolveExisting(key);
      if (!path) throw StorageError.notFound(key);
      // One open file for size and bytes: a concurrent overwrite (rename) cannot mix two versions.
      const handle = await open(path, 'r');
      try {
        const info = await handle.stat();
        if (!info.isFile()) throw StorageError.notFound(key);
        const bytes = range ? resolveRange(key, range, info.size) : undefined;
        const contentType = await readContentType(path);
        const stream = handle.createReadStream({ start: bytes?.start, end: bytes?.end, highWaterMark: STREAM_BUFFER_BYTES });
        return { stream, size: info.size, contentType, ...(bytes && { range: bytes }) };
      } catch (error) {
        await handle.close();
        throw error;
      }
    } catch (error) {
      if (isMissing(error)) throw StorageError.notFound(key);
      throw toStorageError(error, key);
    }
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      assertValidKey(key);
      const path = await this.resolveExisting(key);
      const info = path ? await stat(path) : undefined;
      if (!path || !info?.isFile()) return null;
      return { size: info.size, modifiedAt: info.mtime, contentType: await readContentType(path) };
    } catch (error) {
      if (isMissing(error)) return null;
      throw toStorageError(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      assertValidKey(key);
      const folder = await this.resolveExisting(dirname(key));
      if (!folder) return;
      // The entry itself is unlinked, never what it points to.
      const path = join(folder, basename(key));
      await Promise.all([unlinkIfFile(path), rm(sidecarOf(path), { force: true })]);
    } catch (error) {
      throw toStorageError(error, key);
    }
  }

  /**
   * A rename on the same disk: the bytes were synced when `from` was put, so nothing is copied
   * or re-read, and `to` appears complete or not at all.
   */
  override async move(from: string, to: string): Promise<void> {
    try {
      assertValidKey(from);
      assertValidKey(to);
      const source = await this.resolveExisting(from);
      if (!source || !(await stat(source)).isFile()) throw StorageError.notFound(from);
      const segments = to.split('/');
      const name = segments.pop() as string;
      const target = join(await this.ensureFolder(to, segments), name);
      await rename(source, target);
      await rename(sidecarOf(source), sidecarOf(target)).catch(async (error: unknown) => {
        if (!isMissing(error)) throw error;
        await rm(sidecarOf(target), { force: true });
      });
    } catch (error) {
      if (isMissing(error)) throw StorageError.notFound(from);
      throw toStorageError(error, to);
    }
  }

  /** Walks the folders under the prefix with `opendir`, one entry at a time; hidden names and symlinks are skipped. */
  async *list(prefix: string): AsyncIterable<ListedObject> {
    assertValidPrefix(prefix);
    const cut = prefix.lastIndexOf('/');
    const folderKey = cut === -1 ? '' : prefix.slice(0, cut);
    const folder = await this.resolveExisting(folderKey || '.');
    if (folder) yield* walk(folder, folderKey ? `${folderKey}/` : '', prefix);
  }

  /** Up when the root is a writable folder. */
  async health(): Promise<SocketHealth> {
    const base = { socket: 'files', plug: this.plug };
    const started = Date.now();
    try {
      await withTimeout(this.probe(), this.options.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, 'disk did not answer in time');
      return { ...base, status: 'up', latencyMs: Date.now() - started };
    } catch (error) {
      return { ...base, status: 'down', detail: `${this.options.root}: ${errorMessage(error)}` };
    }
  }

  async close(): Promise<void> {
    // Nothing held open between calls.
  }

  private async probe(): Promise<void> {
    const root = await this.root();
    await access(root, constants.W_OK);
    if (!(await stat(root)).isDirectory()) throw new Error('not a folder');
  }

  /** The root's realpath, after creating the folder once; a failed attempt is retried on the next call. */
  private root(): Promise<string> {
    this.opening ??= mkdir(this.options.root, { recursive: true })
      .then(() => realpath(this.options.root))
      .catch((error: unknown) => {
        this.opening = undefined;
        throw error;
      });
    return this.opening;
  }

  private async isInside(path: string): Promise<boolean> {
    const root = await this.root();
    // Trailing separator: `/data-evil` must not pass as inside `/data`.
    return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
  }

  /** Realpath of an existing entry under the root, null when missing; INVALID_KEY when it resolves outside. */
  private async resolveExisting(relative: string): Promise<string | null> {
    const root = await this.root();
    let real: string;
    try {
      real = await realpath(join(root, relative));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    if (!(await this.isInside(real))) throw StorageError.invalidKey(relative, 'resolves outside the storage root');
    return real;
  }

  /**
   * The key's folder, created when missing: one level at a time, checking each level's
   * realpath before going deeper, so a symlinked folder pointing outside is refused before
   * anything is created through it. A folder that exists already takes the short way.
   */
  private async ensureFolder(key: string, segments: string[]): Promise<string> {
    if (segments.length === 0) return this.root();
    const existing = await this.existingFolder(key, segments);
    if (existing) return existing;
    let current = await this.root();
    for (const segment of segments) {
      const next = join(current, segment);
      await mkdir(next).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      current = await realpath(next);
      if (!(await this.isInside(current))) throw StorageError.invalidKey(key, 'resolves outside the storage root');
      if (!(await stat(current)).isDirectory()) {
        throw new StorageError(ErrorCode.Conflict, `"${segment}" in "${key}" is an object, not a folder`, key);
      }
    }
    return current;
  }

  /**
   * The key's folder when it exists already, as it does for every put but the first into it:
   * its realpath and its type, asked at once, instead of a mkdir, a realpath and a stat per
   * level one after the other. Each of those is a trip through the thread pool that a busy
   * machine delays by milliseconds, in series with the upload. Nothing is created here, so
   * checking the whole path's realpath is as safe as checking each level's. Null when a
   * level is missing or is not a folder: the walk above then creates it or says why not.
   */
  private async existingFolder(key: string, segments: string[]): Promise<string | null> {
    const path = join(await this.root(), ...segments);
    const found = await Promise.all([realpath(path), stat(path)]).catch(() => null);
    if (!found || !found[1].isDirectory()) return null;
    if (!(await this.isInside(found[0]))) throw StorageError.invalidKey(key, 'resolves outside the storage root');
    return found[0];
  }
}

async function* walk(folder: string, keyBase: string, prefix: string): AsyncGenerator<ListedObject> {
  let entries: Dir;
  try {
    entries = await opendir(folder);
  } catch (error) {
    if (isMissing(error)) return; // removed while listing
    throw error;
  }
  for await (const entry of entries) {
    const key = keyBase + entry.name;
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) {
      if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* walk(join(folder, entry.name), `${key}/`, prefix);
    } else if (entry.isFile() && key.startsWith(prefix) && isValidKey(key)) {
      const info = await stat(join(folder, entry.name)).catch(() => undefined);
      if (info) yield { key, size: info.size };
    }
  }
}

function sidecarOf(path: string): string {
  return join(dirname(path), `.${basename(path)}.type`);
}

async function readContentType(path: string): Promise<string> {
  try {
    return (await readFile(sidecarOf(path), 'utf8')) || DEFAULT_CONTENT_TYPE;
  } catch (error) {
    if (isMissing(error)) return DEFAULT_CONTENT_TYPE;
    throw error;
  }
}

async function unlinkIfFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    // A folder under the key is not an object (S3 would have nothing there either).
    if (!isMissing(error) && error.code !== 'EISDIR') throw error;
  });
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** StorageErrors pass; file system errors get the code a caller can act on. */
function toStorageError(error: unknown, key: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EISDIR':
    case 'ENOTDIR':
    case 'ENOTEMPTY':
    case 'EEXIST':
      return new StorageError(ErrorCode.Conflict, `"${key}" clashes with a folder or file on disk (${code})`, key);
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EROFS':
    case 'EIO':
      return StorageError.unavailable(`${code}: ${errorMessage(error)}`, key);
    default:
      return new StorageError(ErrorCode.Internal, `local storage failed on "${key}": ${errorMessage(error)}`, key);
  }
}
