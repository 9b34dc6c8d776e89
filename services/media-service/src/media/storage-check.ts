import { Inject, Injectable } from '@nestjs/common';
import type { StorageCheckReport } from '@plugboard/contracts';
import { MediaRepository } from '@plugboard/database';
import { StoragePort } from '@plugboard/storage';
import { STAGING_PREFIX } from './media-record';

/** At most this many orphans of each kind are listed (the counts stay exact in the logs of a sweep). */
const MAX_LISTED = 1000;

/** Compares storage with the media table: files no row points at, rows whose file is gone. */
@Injectable()
export class StorageCheck {
  constructor(
    @Inject(StoragePort) private readonly storage: StoragePort,
    private readonly media: MediaRepository,
  ) {}

  /** Keys only are held in memory (not bytes); imports in progress (their staging prefix) are not orphans. */
  async check(): Promise<StorageCheckReport> {
    const files = new Set<string>();
    for await (const item of this.storage.list('')) {
      if (!item.key.startsWith(STAGING_PREFIX)) files.add(item.key);
    }
    const objects = files.size;
    const orphanRows: { id: string; key: string }[] = [];
    let rows = 0;
    for await (const row of this.media.iterate()) {
      rows++;
      if (!files.delete(row.key) && orphanRows.length < MAX_LISTED) orphanRows.push({ id: row.id, key: row.key });
    }
    return { checkedAt: new Date().toISOString(), objects, rows, orphanFiles: [...files].slice(0, MAX_LISTED), orphanRows };
  }
}
