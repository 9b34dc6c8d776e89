import type { MikroORM } from '@mikro-orm/core';

/**
 * The data steps of the PostgreSQL migrations that a SQLite schema sync cannot do (it only
 * adds columns), run once after syncing a database stamped `fromVersion`.
 */
export async function upgradeSqliteData(orm: MikroORM, fromVersion: number): Promise<void> {
  const connection = orm.em.getConnection();
  if (fromVersion < 7) {
    // As migration 0007: messages received before announced_at existed were announced then.
    await connection.execute(`update "messages" set "announced_at" = "created_at" where "direction" = 'incoming' and "announced_at" is null`);
  }
}
