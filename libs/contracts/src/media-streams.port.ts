import type { Readable } from 'node:stream';
import type { MediaDirection, MediaRecord } from './subjects/media.subjects';

export interface MediaUpload {
  /**
   * The bytes, consumed by the upload. A failed upload may leave them unread: closing the
   * source is then the caller's part (an HTTP request closes its connection after the error).
   */
  stream: Readable;
  /**
   * The id to store the file under, for an upload that may be repeated (a redelivered event):
   * when a file with this id is stored already, its bytes are read and dropped, and the stored
   * record is the answer. A new id when unset.
   */
  id?: string;
  contentType?: string;
  /** Declared length (Content-Length): a body that is shorter or longer fails and stores nothing. */
  size?: number;
  filename?: string;
  sessionId?: string;
  messageId?: string;
  direction?: MediaDirection;
}

/** `bytes=start-end` / `bytes=start-` or the last `suffix` bytes (`bytes=-n`). */
export type MediaRange = { start: number; end?: number } | { suffix: number };

export interface MediaDownload {
  record: MediaRecord;
  stream: Readable;
  /** Size of the whole file. */
  size: number;
  /** Inclusive bytes delivered when a range was asked. */
  range?: { start: number; end: number };
}

export interface MediaImportSummary {
  imported: number;
  /** Objects already present with the same sha256. */
  skipped: number;
  failed: number;
  bytes: number;
}

export interface StorageCheckReport {
  checkedAt: string;
  objects: number;
  rows: number;
  /** Files in storage that no row points at. */
  orphanFiles: string[];
  /** Rows whose file is missing. */
  orphanRows: { id: string; key: string }[];
}

/**
 * Byte streams between the gateway and the media-service (bytes never travel on the bus).
 * Two plugs: HTTP to the media-service's internal port (separate processes) and direct calls
 * (embedded mode, where both live in one process and the launcher hands this over).
 */
export abstract class MediaStreams {
  /** Which plug this is (`http` or `in-process`). */
  abstract readonly plug: string;
  /** Streams a file into storage and records it; PAYLOAD_TOO_LARGE past MEDIA_MAX_BYTES. */
  abstract upload(input: MediaUpload): Promise<MediaRecord>;
  /** Streams a file, or a range of it; NOT_FOUND, RANGE_NOT_SATISFIABLE. */
  abstract download(id: string, range?: MediaRange): Promise<MediaDownload>;
  /** A `.tar.gz` of every recorded file: `manifest.json` first, then the objects. */
  abstract exportArchive(): Promise<Readable>;
  /** Restores a `.tar.gz` made by `exportArchive`, all or nothing. */
  abstract importArchive(stream: Readable): Promise<MediaImportSummary>;
  /** Files without rows and rows without files. */
  abstract checkStorage(): Promise<StorageCheckReport>;
}
