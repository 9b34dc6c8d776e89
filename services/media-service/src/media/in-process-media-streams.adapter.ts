import { Injectable } from '@nestjs/common';
import { type MediaDownload, type MediaImportSummary, type MediaRange, type MediaRecord, MediaStreams, type MediaUpload, type StorageCheckReport } from '@plugboard/contracts';
import type { Readable } from 'node:stream';
import { MediaArchiveExport } from './media-archive-export';
import { MediaArchiveImport } from './media-archive-import';
import { MediaStore } from './media-store';
import { StorageCheck } from './storage-check';

/**
 * MediaStreams by direct calls, for a gateway in the same process (embedded mode): the
 * launcher takes this from the media-service and hands it to the gateway.
 */
@Injectable()
export class InProcessMediaStreams extends MediaStreams {
  readonly plug = 'in-process';

  constructor(
    private readonly store: MediaStore,
    private readonly exporter: MediaArchiveExport,
    private readonly importer: MediaArchiveImport,
    private readonly checker: StorageCheck,
  ) {
    super();
  }

  upload(input: MediaUpload): Promise<MediaRecord> {
    return this.store.upload(input);
  }

  download(id: string, range?: MediaRange): Promise<MediaDownload> {
    return this.store.download(id, range);
  }

  exportArchive(): Promise<Readable> {
    return this.exporter.export();
  }

  importArchive(stream: Readable): Promise<MediaImportSummary> {
    return this.importer.import(stream);
  }

  checkStorage(): Promise<StorageCheckReport> {
    return this.checker.check();
  }
}
