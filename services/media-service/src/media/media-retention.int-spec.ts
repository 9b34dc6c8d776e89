import type { AppConfig } from '@plugboard/config';
import type { MediaRepository } from '@plugboard/database';
import { createServiceLogger } from '@plugboard/service-kit';
import type { LocalStorageAdapter } from '@plugboard/storage';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { type MediaOnDisk, openMediaOnDisk } from './__tests__/media-on-disk';
import { MediaRetention } from './media-retention';
import { mediaKey } from './media-record';

const DAY = 86_400_000;
const NOW = new Date('2026-03-01T12:00:00.000Z');

// Real SQLite file and real local disk; the clock is the `now` handed to sweep() and rows are backdated.
describe('media retention sweep', () => {
  let onDisk: MediaOnDisk;
  let media: MediaRepository;
  let storage: LocalStorageAdapter;

  beforeEach(async () => {
    onDisk = await openMediaOnDisk('pb-retention-');
    ({ media, storage } = onDisk);
  });

  afterEach(() => onDisk.close());

  function retention(days: { inbound: number; outbound: number }): MediaRetention {
    const config = { MEDIA_RETENTION_DAYS_INBOUND: days.inbound, MEDIA_RETENTION_DAYS_OUTBOUND: days.outbound, MEDIA_RETENTION_SWEEP_MS: 3_600_000 } as AppConfig;
    return new MediaRetention(storage, media, createServiceLogger('media-service', 'error'), config);
  }

  /** A file and its row, created `ageDays` before NOW. */
  async function stored(direction: 'inbound' | 'outbound', ageDays: number): Promise<{ id: string; key: string }> {
    const id = randomUUID();
    const key = mediaKey(id);
    const put = await storage.put(key, Readable.from([Buffer.from(`${direction} ${ageDays}`)]));
    await media.create({ id, key, direction, mimeType: 'text/plain', size: put.size, sha256: put.sha256, createdAt: new Date(NOW.getTime() - ageDays * DAY) });
    return { id, key };
  }

  async function present(item: { id: string; key: string }): Promise<{ row: boolean; file: boolean }> {
    return { row: (await media.findById(item.id)) !== null, file: await storage.exists(item.key) };
  }

  it('deletes file and row together past the inbound limit, keeping newer inbound and all outbound', async () => {
    const oldInbound = [await stored('inbound', 10), await stored('inbound', 8)];
    const freshInbound = await stored('inbound', 6);
    const oldOutbound = await stored('outbound', 30);

    expect(await retention({ inbound: 7, outbound: 0 }).sweep(NOW)).toBe(2);

    for (const item of oldInbound) expect(await present(item)).toEqual({ row: false, file: false });
    expect(await present(freshInbound)).toEqual({ row: true, file: true });
    expect(await present(oldOutbound)).toEqual({ row: true, file: true });
  });

  it('applies each direction its own limit', async () => {
    const inbound = await stored('inbound', 5);
    const outbound = await stored('outbound', 5);
    const keptOutbound = await stored('outbound', 2);

    expect(await retention({ inbound: 30, outbound: 3 }).sweep(NOW)).toBe(1);

    expect(await present(inbound)).toEqual({ row: true, file: true });
    expect(await present(outbound)).toEqual({ row: false, file: false });
    expect(await present(keptOutbound)).toEqual({ row: true, file: true });
  });

  it('moves with the clock: what is young today expires later', async () => {
    const item = await stored('outbound', 1);
    const sweeper = retention({ inbound: 0, outbound: 2 });
    expect(await sweeper.sweep(NOW)).toBe(0);
    expect(await present(item)).toEqual({ row: true, file: true });
    expect(await sweeper.sweep(new Date(NOW.getTime() + 2 * DAY))).toBe(1);
    expect(await present(item)).toEqual({ row: false, file: false });
  });

  it('removes the row even when its file is already gone, and sweeps more than one batch', async () => {
    const items = await Promise.all(Array.from({ length: 205 }, () => stored('inbound', 40)));
    await storage.delete(items[0].key);
    expect(await retention({ inbound: 1, outbound: 0 }).sweep(NOW)).toBe(205);
    expect(await media.count()).toBe(0);
  });
});
