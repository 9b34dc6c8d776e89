import { Migration } from '@mikro-orm/migrations';
import { stampVersion } from './stamp-version';

/**
 * Schema version 6: when an outgoing message may be sent (`due_at`, later than its creation
 * for the spaced messages of a bulk send) and when WhatsApp said it was revoked (`revoked_at`).
 * The owner's send loop reads pending rows by (session, status, due_at).
 */
export class Migration0006MessageSchedule extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "messages" add column "due_at" timestamptz null, add column "revoked_at" timestamptz null;`);
    this.addSql(`update "messages" set "due_at" = "created_at";`);
    this.addSql(`alter table "messages" alter column "due_at" set not null;`);
    this.addSql(`drop index if exists "messages_session_status_index";`);
    this.addSql(`create index "messages_session_status_due_index" on "messages" ("session_id", "status", "due_at");`);
    this.addSql(stampVersion(6));
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "messages_session_status_due_index";`);
    this.addSql(`create index "messages_session_status_index" on "messages" ("session_id", "status");`);
    this.addSql(`alter table "messages" drop column "due_at", drop column "revoked_at";`);
  }
}
