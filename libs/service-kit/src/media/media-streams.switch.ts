import { type MediaDownload, type MediaImportSummary, type MediaRange, type MediaRecord, MediaStreams, type MediaUpload, type StorageCheckReport } from '@plugboard/contracts';
import type { Readable } from 'node:stream';

/**
 * MediaStreams of a service that talks to the media-service (gateway, session-worker): the
 * HTTP plug by default (separate processes); the embedded launcher switches it to the
 * media-service's in-process plug with `use()`, because services never import each other and
 * only the launcher sees both.
 */
export class MediaStreamsSwitch extends MediaStreams {
  constructor(private current: MediaStreams) {
    super();
  }

  get plug(): string {
    return this.current.plug;
  }

  /** From now on every call goes to `streams`. */
  use(streams: MediaStreams): void {
    this.current = streams;
  }

  upload(input: MediaUpload): Promise<MediaRecord> {
    return this.current.upload(input);
  }

  download(id: string, range?: MediaRange): Promise<MediaDownload> {
    return this.current.download(id, range);
  }

  exportArchive(): Promise<Readable> {
    return this.current.exportArchive();
  }

  importArchive(stream: Readable): Promise<MediaImportSummary> {
    return this.current.importArchive(stream);
  }

  checkStorage(): Promise<StorageCheckReport> {
    return this.current.checkStorage();
  }
}
