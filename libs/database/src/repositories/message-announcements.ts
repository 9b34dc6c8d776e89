import type { MikroORM } from '@mikro-orm/core';
import type { MessageEntity } from '../entities/message.entity';
import { guardDriverErrors } from './guard-driver-errors';
import { MESSAGE_COLUMNS, messageFromRow } from './message-rows';
import { SqlStatements } from './sql-statements';

/** Where the previous page of `listUnannounced` ended: its last row. */
export interface AnnouncementCursor {
  createdAt: Date;
  id: string;
}

/**
 * Whether each received message's `message.received` was published (`announced_at`), so a
 * message stored by a worker that died before publishing is announced by the next owner.
 */
export class MessageAnnouncementRepository {
  private readonly sql: SqlStatements;

  constructor(orm: MikroORM) {
    this.sql = new SqlStatements(orm);
  }

  /** Records that the message was announced; false when it already was (or is no received message). */
  markAnnounced(id: string, at: Date = new Date()): Promise<boolean> {
    return guardDriverErrors(async () => {
      const rows = await this.sql.rows(
        `update "messages" set "announced_at" = ? where "id" = ? and "direction" = 'incoming' and "announced_at" is null returning "id"`,
        [this.sql.date(at), id],
      );
      return rows.length > 0;
    });
  }

  /**
   * One page of a session's received messages not announced yet, oldest first (createdAt, id),
   * after `after`: keyset pages, so marking rows between pages neither skips nor repeats one.
   */
  listUnannounced(sessionId: string, options: { limit: number; after?: AnnouncementCursor }): Promise<MessageEntity[]> {
    return guardDriverErrors(async () => {
      const params: unknown[] = [sessionId];
      let afterCursor = '';
      if (options.after) {
        afterCursor = ' and ("created_at" > ? or ("created_at" = ? and "id" > ?))';
        const at = this.sql.date(options.after.createdAt);
        params.push(at, at, options.after.id);
      }
      params.push(Math.max(1, options.limit));
      // The conditions of messages_unannounced_index, word for word, so PostgreSQL uses the partial index.
      const rows = await this.sql.rows(
        `select ${MESSAGE_COLUMNS} from "messages" where "session_id" = ? and "announced_at" is null and "direction" = 'incoming'${afterCursor} ` +
          'order by "created_at" asc, "id" asc limit ?',
        params,
      );
      return rows.map((row) => messageFromRow(this.sql, row));
    });
  }
}
