import { Migration } from '@mikro-orm/migrations';
import { stampVersion } from './stamp-version';

/** Schema version 4: webhooks, their deliveries (the dead-letter list included) and the fan-out cursor. */
export class Migration0004Webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "webhook_cursors" ("stream" varchar(255) not null, "last_seq" bigint not null, "updated_at" timestamptz not null, constraint "webhook_cursors_pkey" primary key ("stream"));`,
    );

    this.addSql(
      `create table "webhooks" ("id" varchar(36) not null, "session_id" varchar(36) not null, "url" text not null, "events" jsonb not null, "secret" varchar(255) not null, "headers" jsonb not null, "active" boolean not null default true, "retry_attempts" int not null, "retry_backoff_ms" int not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "webhooks_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "webhooks_session_index" on "webhooks" ("session_id", "created_at", "id");`);

    this.addSql(
      `create table "webhook_deliveries" ("id" varchar(64) not null, "webhook_id" varchar(36) not null, "session_id" varchar(36) not null, "event_id" varchar(255) not null, "event_type" varchar(255) not null, "payload" jsonb not null, "status" text check ("status" in ('pending', 'delivered', 'dead')) not null default 'pending', "round" int not null default 0, "attempts" jsonb not null, "next_attempt_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "delivered_at" timestamptz null, constraint "webhook_deliveries_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "webhook_deliveries_status_index" on "webhook_deliveries" ("status", "next_attempt_at");`);
    this.addSql(`create index "webhook_deliveries_list_index" on "webhook_deliveries" ("webhook_id", "created_at", "id");`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_webhook_event_unique" unique ("webhook_id", "event_id");`);

    this.addSql(
      `alter table "webhooks" add constraint "webhooks_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "webhook_deliveries" add constraint "webhook_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(stampVersion(4));
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
    this.addSql(`drop table if exists "webhooks" cascade;`);
    this.addSql(`drop table if exists "webhook_cursors" cascade;`);
  }
}
