import type { AppConfig } from '@plugboard/config';
import type { MediaRepository } from '@plugboard/database';
import { MemoryBusAdapter } from '@plugboard/messaging';
import { createServiceLogger } from '@plugboard/service-kit';
import type { LocalStorageAdapter } from '@plugboard/storage';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { type MediaOnDisk, openMediaOnDisk } from './__tests__/media-on-disk';
import { MediaStore } from './media-store';

// Real SQLite file and real local disk.
describe('MediaStore uploads under a caller-chosen id', () => {
  let onDisk: MediaOnDisk;
  let media: MediaRepository;
  let storage: LocalStorageAdapter;
  let bus: MemoryBusAdapter;
  let store: MediaStore;

  beforeEach(async () => {
    onDisk = await openMediaOnDisk('pb-media-store-');
    ({ media, storage } = onDisk);
    bus = new MemoryBusAdapter();
    await bus.connect();
    store = new MediaStore(storage, media, bus, createServiceLogger('media-service', 'error'), { MEDIA_MAX_BYTES: 1024 * 1024 } as AppConfig);
  });

  afterEach(async () => {
    await bus.close();
    await onDisk.close();
  });

  const upload = (id: string, text: string) => store.upload({ id, stream: Readable.from([Buffer.from(text)]), contentType: 'image/png', direction: 'inbound' });

  async function storedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of storage.list('')) keys.push(item.key);
    return keys;
  }

  it('answers a repeated upload with the stored record, reading its bytes and storing nothing more', async () => {
    const id = randomUUID();
    const first = await upload(id, 'the picture');
    expect(first).toMatchObject({ id, size: 11 });

    const source = Readable.from([Buffer.from('the picture, once more')]);
    const again = await store.upload({ id, stream: source, contentType: 'image/png', direction: 'inbound' });

    expect(again).toEqual(first);
    expect(source.readableEnded).toBe(true);
    expect(await storedKeys()).toEqual([first.key]);
    expect((await media.list({ limit: 10 })).items.map((row) => row.id)).toEqual([id]);
  });

  it('keeps one row and one file when the same id is uploaded twice at once', async () => {
    const id = randomUUID();
    const [a, b] = await Promise.all([upload(id, 'the picture'), upload(id, 'the picture')]);

    expect(a).toEqual(b);
    expect(await storedKeys()).toEqual([a.key]);
    expect((await media.list({ limit: 10 })).items.map((row) => row.id)).toEqual([id]);
  });
});
