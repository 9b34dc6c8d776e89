import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { ErrorCode, type MediaImportSummary } from '@plugboard/contracts';
import { MediaRepository, type NewMedia } from '@plugboard/database';
import { ServiceError, ServiceLogger } from '@plugboard/service-kit';
import { StoragePort, assertValidKey } from '@plugboard/storage';
import { createHash, randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { CompressedInput, InflateGuard, ZLIB_CHUNK_BYTES, entryKey } from './archive-guards';
import { type ArchiveManifest, ArchiveManifestSchema, type ArchiveObject, MANIFEST_ENTRY, MAX_MANIFEST_BYTES, OBJECTS_FOLDER } from './media-archive-format';
import { STAGING_PREFIX } from './media-record';
import { OverlappedStaging } from './overlapped-staging';

/** Objects whose put may still be finishing while the next entry streams in. */
const STAGES_IN_FLIGHT = 2;

interface Staged {
  object: ArchiveObject;
  /** Where the verified bytes wait; undefined when skipped (already stored, same sha256). */
  stagingKey?: string;
}

/**
 * Restores a media backup, all or nothing. Every entry is checked (a plain file named
 * `objects/<key>` that the manifest lists, within the size caps) and staged in storage under
 * `import-staging/<run>/` while its sha256 is verified; only when the whole archive passed
 * are the objects moved into place and their rows inserted in one transaction. Any failure
 * removes what was staged (and moved), leaving storage and table as they were.
 */
@Injectable()
export class MediaArchiveImport {
  constructor(
    @Inject(StoragePort) private readonly storage: StoragePort,
    private readonly media: MediaRepository,
    private readonly logger: ServiceLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async import(source: Readable): Promise<MediaImportSummary> {
    const run = `${STAGING_PREFIX}${randomUUID()}/`;
    try {
      return await this.commit(await this.stage(source, run));
    } catch (error) {
      throw toImportError(error);
    } finally {
      await this.removeStaged(run);
    }
  }

  /** Every object of the archive, verified and staged (or found already stored); on failure, once no put runs any more. */
  private async stage(source: Readable, run: string): Promise<Staged[]> {
    const staging = new OverlappedStaging<Staged>(STAGES_IN_FLIGHT);
    try {
      await this.readArchive(source, run, staging);
      return await staging.results();
    } catch (error) {
      await staging.settle();
      throw error;
    }
  }

  private async readArchive(source: Readable, run: string, staging: OverlappedStaging<Staged>): Promise<void> {
    const compressed = new CompressedInput();
    const extract = tarExtract();
    const guard = new InflateGuard(compressed, { maxBytes: this.config.MEDIA_IMPORT_MAX_BYTES, maxRatio: this.config.MEDIA_IMPORT_MAX_RATIO });
    // pipe, not pipeline, from the source: a refusal must not destroy the HTTP request whose response carries it.
    source.once('error', (error) => compressed.destroy(error)).pipe(compressed);
    const feeding = pipeline(compressed, createGunzip({ chunkSize: ZLIB_CHUNK_BYTES }), guard, extract).finally(() => source.unpipe(compressed));
    feeding.catch(() => undefined); // surfaced through the iteration below
    let manifest: ArchiveManifest | undefined;
    const expected = new Map<string, ArchiveObject>();
    let entries = 0;
    for await (const source of extract) {
      const header = source.header;
      // A Node stream over the streamx entry, for the storage plugs.
      const entry = Readable.from(source, { objectMode: false });
      if (++entries > this.config.MEDIA_IMPORT_MAX_ENTRIES + 1) {
        throw new ServiceError(ErrorCode.PayloadTooLarge, `archive has more than ${this.config.MEDIA_IMPORT_MAX_ENTRIES} entries (MEDIA_IMPORT_MAX_ENTRIES)`);
      }
      assertPlainFile(header);
      if (!manifest) {
        manifest = await readManifest(entry, header);
        for (const object of manifest.objects) {
          assertValidKey(object.key);
          if (object.key.startsWith(STAGING_PREFIX) || expected.has(object.key)) {
            throw new ServiceError(ErrorCode.ValidationFailed, `manifest lists "${object.key}" twice or under a reserved prefix`);
          }
          if (object.size > this.config.MEDIA_MAX_BYTES) throw entryTooLarge(object.key, this.config.MEDIA_MAX_BYTES);
          expected.set(object.key, object);
        }
        if (expected.size > this.config.MEDIA_IMPORT_MAX_ENTRIES) {
          throw new ServiceError(ErrorCode.PayloadTooLarge, `manifest lists more than ${this.config.MEDIA_IMPORT_MAX_ENTRIES} objects`);
        }
        continue;
      }
      const key = assertValidKey(entryKey(header.name, OBJECTS_FOLDER));
      const object = expected.get(key);
      if (!object) throw new ServiceError(ErrorCode.ValidationFailed, `archive entry "${key}" is not in the manifest, or appears twice`);
      expected.delete(key);
      if ((header.size ?? 0) > this.config.MEDIA_MAX_BYTES) throw entryTooLarge(key, this.config.MEDIA_MAX_BYTES);
      if (header.size !== object.size) {
        throw new ServiceError(ErrorCode.ValidationFailed, `"${key}" has ${header.size} bytes, the manifest says ${object.size}`);
      }
      await staging.add(entry, this.stageObject(entry, object, run));
    }
    await feeding;
    if (!manifest) throw new ServiceError(ErrorCode.ValidationFailed, `archive is empty: ${MANIFEST_ENTRY} must be its first entry`);
    if (expected.size > 0) {
      throw new ServiceError(ErrorCode.ValidationFailed, `archive lacks ${expected.size} object(s) of its manifest, e.g. "${[...expected.keys()][0]}"`);
    }
  }

  /** Stages the bytes (or, when the same object is already stored, only hashes them) and checks the sha256. */
  private async stageObject(entry: Readable, object: ArchiveObject, run: string): Promise<Staged> {
    const existing = await this.media.findByKey(object.key);
    if (existing) {
      const sha256 = await hashOf(entry);
      if (sha256 !== object.sha256) throw shaMismatch(object.key);
      if (existing.sha256 !== object.sha256) {
        throw new ServiceError(ErrorCode.Conflict, `"${object.key}" is already stored with other content`);
      }
      return { object };
    }
    const stagingKey = `${run}${object.key}`;
    const put = await this.storage.put(stagingKey, entry, { size: object.size, contentType: object.mimeType });
    if (put.sha256 !== object.sha256) throw shaMismatch(object.key);
    return { object, stagingKey };
  }

  /**
   * Moves the staged objects into place (a rename on local disk; their sha256 was verified
   * while staging), then inserts their rows in one transaction; undoes the moves on failure.
   */
  private async commit(staged: Staged[]): Promise<MediaImportSummary> {
    const placed: string[] = [];
    const rows: NewMedia[] = [];
    let bytes = 0;
    try {
      for (const { object, stagingKey } of staged) {
        if (!stagingKey) continue;
        placed.push(object.key);
        await this.storage.move(stagingKey, object.key);
        bytes += object.size;
        rows.push({ ...object, createdAt: new Date(object.createdAt) });
      }
      await this.media.createMany(rows);
    } catch (error) {
      await Promise.all(placed.map((key) => this.storage.delete(key).catch(() => undefined)));
      throw error;
    }
    return { imported: rows.length, skipped: staged.length - rows.length, failed: 0, bytes };
  }

  private async removeStaged(run: string): Promise<void> {
    try {
      const keys: string[] = [];
      for await (const item of this.storage.list(run)) keys.push(item.key);
      for (const key of keys) await this.storage.delete(key);
    } catch (error) {
      this.logger.warn(`import: staged files under ${run} not removed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function assertPlainFile(header: Header): void {
  if (header.type !== 'file') {
    throw new ServiceError(ErrorCode.ValidationFailed, `archive entry "${header.name.slice(0, 200)}" is a ${header.type}: only plain files are accepted`);
  }
}

async function readManifest(entry: Readable, header: Header): Promise<ArchiveManifest> {
  if (header.name !== MANIFEST_ENTRY) {
    throw new ServiceError(ErrorCode.ValidationFailed, `the first archive entry must be ${MANIFEST_ENTRY}, got "${header.name.slice(0, 200)}"`);
  }
  if ((header.size ?? 0) > MAX_MANIFEST_BYTES) throw new ServiceError(ErrorCode.PayloadTooLarge, `${MANIFEST_ENTRY} is too large`);
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ServiceError(ErrorCode.ValidationFailed, `${MANIFEST_ENTRY} is not JSON`);
  }
  const parsed = ArchiveManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ServiceError(ErrorCode.ValidationFailed, `${MANIFEST_ENTRY} is not a Plugboard media manifest`, { issues: parsed.error.issues.slice(0, 10) });
  }
  return parsed.data;
}

async function hashOf(entry: Readable): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(entry, new Writable({ write: (chunk: Buffer, _encoding, done) => (hash.update(chunk), done()) }));
  return hash.digest('hex');
}

function shaMismatch(key: string): ServiceError {
  return new ServiceError(ErrorCode.ValidationFailed, `"${key}" does not match the sha256 of the manifest`);
}

function entryTooLarge(key: string, max: number): ServiceError {
  return new ServiceError(ErrorCode.PayloadTooLarge, `"${key}" is larger than ${max} bytes (MEDIA_MAX_BYTES)`);
}

/** Coded errors pass; a broken gzip or tar stream (truncated, corrupt) is the client's archive: VALIDATION_FAILED. */
function toImportError(error: unknown): unknown {
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { message?: unknown }).message === 'string') {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && Object.values(ErrorCode).includes(code as ErrorCode)) return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ServiceError(ErrorCode.ValidationFailed, `archive unreadable: ${message}`);
}
