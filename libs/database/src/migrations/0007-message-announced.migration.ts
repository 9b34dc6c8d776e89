import { Migration } from '@mikro-orm/migrations';
import { stampVersion } from './stamp-version';

/**
 * Schema version 7: when a received message's `message.received` was published
 * (`announced_at`), so one stored by a worker that died before publishing is announced later.
 * Rows received before this version were announced by the release that stored them.
 */
export class Migration0007MessageAnnounced extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "messages" add column "announced_at" timestamptz null;`);
    this.addSql(`update "messages" set "announced_at" = "created_at" where "direction" = 'incoming';`);
    this.addSql(
      `create index "messages_unannounced_index" on "messages" ("session_id", "created_at", "id") where "announced_at" is null and "direction" = 'incoming';`,
    );
    this.addSql(stampVersion(7));
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "messages_unannounced_index";`);
    this.addSql(`alter table "messages" drop column "announced_at";`);
  }
}
