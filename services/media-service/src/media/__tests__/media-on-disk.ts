import { MediaRepository, openDatabase } from '@plugboard/database';
import { LocalStorageAdapter } from '@plugboard/storage';
import { sqliteTestConfig } from '@plugboard/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The media table in a real SQLite file and the files in a real local folder, for one test. */
export interface MediaOnDisk {
  media: MediaRepository;
  storage: LocalStorageAdapter;
  /** Closes both and removes the folder that holds them. */
  close(): Promise<void>;
}

export async function openMediaOnDisk(prefix: string): Promise<MediaOnDisk> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const orm = await openDatabase(sqliteTestConfig(join(dir, 'media.sqlite')));
  const storage = new LocalStorageAdapter({ root: join(dir, 'files') });
  await storage.open();
  return {
    media: new MediaRepository(orm),
    storage,
    close: async () => {
      await storage.close();
      await orm.close(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
