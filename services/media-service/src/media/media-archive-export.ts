import { Inject, Injectable } from '@nestjs/common';
import { MediaRepository } from '@plugboard/database';
import { ServiceLogger } from '@plugboard/service-kit';
import { StoragePort } from '@plugboard/storage';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Pack } from 'tar-stream';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, type ArchiveManifest, type ArchiveObject, MANIFEST_ENTRY, OBJECTS_FOLDER } from './media-archive-format';
import { toMediaRecord } from './media-record';
import { ParallelGzip } from './parallel-gzip';

/**
 * Media is mostly compressed already (JPEG, MP4, Opus): higher levels cost several times the
 * CPU on what does compress and gain next to nothing on the rest.
 */
const GZIP_LEVEL = 1;

/**
 * Media backup as a `.tar.gz` stream: `manifest.json` first (from the media table: key, size,
 * sha256 of each object), then `objects/<key>` for each, read from storage one at a time and
 * compressed on several cores (ParallelGzip). Nothing is written to disk; the archive is
 * produced as fast as the reader takes it.
 */
@Injectable()
export class MediaArchiveExport {
  constructor(
    @Inject(StoragePort) private readonly storage: StoragePort,
    private readonly media: MediaRepository,
    private readonly logger: ServiceLogger,
  ) {}

  /** Starts the archive; the manifest is built before the first byte, so a missing file is left out rather than breaking the stream. */
  async export(): Promise<Readable> {
    const objects: ArchiveObject[] = [];
    for await (const row of this.media.iterate()) {
      const stat = await this.storage.stat(row.key);
      const record = toMediaRecord(row);
      if (!stat || stat.size !== record.size) {
        this.logger.warn(`backup: skipping ${row.key}, its file is missing or has another size (see /api/infra/storage/check)`);
        continue;
      }
      const { key, id, size, sha256, mimeType, direction, sessionId, messageId, filename, createdAt } = record;
      objects.push({ id, key, size, sha256, mimeType, direction, sessionId, messageId, filename, createdAt });
    }
    const manifest: ArchiveManifest = { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, createdAt: new Date().toISOString(), objects };
    const tar = tarPack();
    const out = new PassThrough();
    pipeline(tar, new ParallelGzip(GZIP_LEVEL), out).catch((error: unknown) => out.destroy(error as Error));
    void this.fill(tar, manifest).catch((error: unknown) => {
      this.logger.error(`backup failed: ${error instanceof Error ? error.message : String(error)}`);
      tar.destroy(error as Error);
      out.destroy(error as Error);
    });
    return out;
  }

  private async fill(tar: Pack, manifest: ArchiveManifest): Promise<void> {
    const json = Buffer.from(JSON.stringify(manifest));
    await new Promise<void>((resolve, reject) => tar.entry({ name: MANIFEST_ENTRY, size: json.length }, json, (e) => (e ? reject(e) : resolve())));
    for (const object of manifest.objects) {
      const got = await this.storage.get(object.key);
      const entry = tar.entry({ name: `${OBJECTS_FOLDER}${object.key}`, size: object.size, mode: 0o644 });
      await pipeline(got.stream, entry);
    }
    tar.finalize();
  }
}
