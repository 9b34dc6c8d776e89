import { Migration } from '@mikro-orm/migrations';
import { stampVersion } from './stamp-version';

/** Schema version 5: the media-service's `media` table (one row per stored file). */
export class Migration0005Media extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "media" ("id" varchar(36) not null, "session_id" varchar(64) null, "message_id" varchar(255) null, "direction" text check ("direction" in ('inbound', 'outbound')) not null, "key" varchar(1024) not null, "mime_type" varchar(255) not null, "size" bigint not null, "sha256" varchar(64) not null, "filename" varchar(255) null, "created_at" timestamptz not null, constraint "media_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "media" add constraint "media_key_unique" unique ("key");`);
    this.addSql(`create index "media_retention_index" on "media" ("direction", "created_at");`);
    this.addSql(`create index "media_created_index" on "media" ("created_at", "id");`);
    this.addSql(`create index "media_session_created_index" on "media" ("session_id", "created_at", "id");`);
    this.addSql(stampVersion(5));
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "media" cascade;`);
  }
}
