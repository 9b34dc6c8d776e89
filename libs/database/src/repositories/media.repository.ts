import type { EntityManager, FilterQuery, MikroORM } from '@mikro-orm/core';
import { MediaEntity, type MediaRowDirection } from '../entities/media.entity';
import { decodeMessageCursor, encodeMessageCursor } from './message-cursor';
import { guardDriverErrors } from './guard-driver-errors';

export interface NewMedia {
  id?: string;
  sessionId?: string | null;
  messageId?: string | null;
  direction: MediaRowDirection;
  key: string;
  mimeType: string;
  size: number;
  sha256: string;
  filename?: string | null;
  createdAt?: Date;
}

export interface MediaPage {
  items: MediaEntity[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

const ITERATE_PAGE = 500;

/** The `media` table, owned by the media-service. */
export class MediaRepository {
  constructor(private readonly orm: MikroORM) {}

  create(input: NewMedia): Promise<MediaEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const row = em.create(MediaEntity, { ...input, createdAt: input.createdAt ?? new Date() }, { persist: false });
      // One INSERT that commits on its own: a flush would wrap it in BEGIN and COMMIT, two
      // more trips through the driver in series with the upload that waits for this row.
      await em.insert(row);
      return row;
    });
  }

  /** Inserts every row in one transaction: all of them or none. */
  createMany(inputs: NewMedia[]): Promise<void> {
    return guardDriverErrors(() =>
      this.em().transactional(async (em) => {
        for (const input of inputs) em.create(MediaEntity, { ...input, createdAt: input.createdAt ?? new Date() });
        await em.flush();
      }),
    );
  }

  findById(id: string): Promise<MediaEntity | null> {
    return guardDriverErrors(() => this.em().findOne(MediaEntity, { id }));
  }

  findByKey(key: string): Promise<MediaEntity | null> {
    return guardDriverErrors(() => this.em().findOne(MediaEntity, { key }));
  }

  /** Newest first, keyset on (createdAt, id); VALIDATION_FAILED for a cursor this did not produce. */
  list(options: { sessionId?: string; cursor?: string; limit: number }): Promise<MediaPage> {
    return guardDriverErrors(async () => {
      const where: FilterQuery<MediaEntity>[] = [];
      if (options.sessionId) where.push({ sessionId: options.sessionId });
      if (options.cursor) {
        const after = decodeMessageCursor(options.cursor);
        where.push({ $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, id: { $lt: after.id } }] });
      }
      const rows = await this.em().find(MediaEntity, where.length ? { $and: where } : {}, {
        orderBy: { createdAt: 'desc', id: 'desc' },
        limit: options.limit + 1,
      });
      const items = rows.slice(0, options.limit);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > options.limit && last ? encodeMessageCursor(last) : null };
    });
  }

  /** Every row, oldest first, page by page (flat memory for exports and checks). */
  async *iterate(filter: FilterQuery<MediaEntity> = {}): AsyncIterable<MediaEntity> {
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const where: FilterQuery<MediaEntity> = after
        ? { $and: [filter, { $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, id: { $gt: after.id } }] }] }
        : filter;
      const rows = await guardDriverErrors(() =>
        this.em().find(MediaEntity, where, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: ITERATE_PAGE }),
      );
      yield* rows;
      if (rows.length < ITERATE_PAGE) return;
      const last = rows[rows.length - 1];
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  /** Rows of `direction` created before `before`, at most `limit`, oldest first. */
  findExpired(direction: MediaRowDirection, before: Date, limit: number): Promise<MediaEntity[]> {
    return guardDriverErrors(() =>
      this.em().find(MediaEntity, { direction, createdAt: { $lt: before } }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit }),
    );
  }

  /** True when a row was removed. */
  delete(id: string): Promise<boolean> {
    return guardDriverErrors(async () => (await this.em().nativeDelete(MediaEntity, { id })) > 0);
  }

  count(): Promise<number> {
    return guardDriverErrors(() => this.em().count(MediaEntity, {}));
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}
