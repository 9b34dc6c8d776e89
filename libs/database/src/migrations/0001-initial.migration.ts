import { Migration } from '@mikro-orm/migrations';
import { stampVersion } from './stamp-version';

/**
 * Schema version 1: sessions, messages, message batches and schema_info. Table names are
 * unqualified: the connection's search_path points at POSTGRES_SCHEMA.
 */
export class Migration0001Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "schema_info" ("id" int not null, "version" int not null, "updated_at" timestamptz not null, constraint "schema_info_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "sessions" ("id" varchar(36) not null, "name" varchar(255) not null, "status" text check ("status" in ('created', 'initializing', 'qr_ready', 'authenticating', 'ready', 'disconnected', 'stopped', 'failed')) not null default 'created', "desired_state" text check ("desired_state" in ('running', 'stopped')) not null default 'stopped', "phone" varchar(255) null, "push_name" varchar(255) null, "engine" text check ("engine" in ('whatsapp-web.js', 'simulator')) not null, "config" jsonb not null, "last_error" text null, "connected_at" timestamptz null, "last_active_at" timestamptz null, "lease_owner" varchar(255) null, "lease_expires_at" timestamptz null, "lease_generation" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "sessions_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "sessions" add constraint "sessions_name_unique" unique ("name");`);

    this.addSql(
      `create table "messages" ("id" varchar(36) not null, "session_id" varchar(36) not null, "wa_message_id" varchar(255) null, "chat_id" varchar(255) not null, "from" varchar(255) not null, "to" varchar(255) not null, "direction" text check ("direction" in ('incoming', 'outgoing')) not null, "type" text check ("type" in ('text', 'image', 'video', 'audio', 'document', 'location', 'contact', 'reply', 'reaction')) not null, "body" text null, "media_id" varchar(255) null, "payload" jsonb not null, "status" text check ("status" in ('pending', 'sending', 'sent', 'delivered', 'read', 'failed')) not null default 'pending', "failure_reason" text null, "idempotency_key" varchar(255) null, "batch_id" varchar(36) null, "lease_generation" int null, "timeline" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "sent_at" timestamptz null, "delivered_at" timestamptz null, "read_at" timestamptz null, constraint "messages_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "messages_batch_status_index" on "messages" ("batch_id", "status");`);
    this.addSql(`create index "messages_session_status_index" on "messages" ("session_id", "status");`);
    this.addSql(`create index "messages_history_index" on "messages" ("session_id", "created_at", "id");`);
    this.addSql(`create index "messages_history_by_chat_index" on "messages" ("session_id", "chat_id", "created_at", "id");`);
    this.addSql(`alter table "messages" add constraint "messages_session_idempotency_unique" unique ("session_id", "idempotency_key");`);
    this.addSql(`alter table "messages" add constraint "messages_session_wa_message_unique" unique ("session_id", "wa_message_id");`);

    this.addSql(
      `create table "message_batches" ("id" varchar(36) not null, "session_id" varchar(36) not null, "status" text check ("status" in ('running', 'completed', 'cancelled')) not null default 'running', "total" int not null, "delay_ms" int not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "completed_at" timestamptz null, constraint "message_batches_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "message_batches_session_index" on "message_batches" ("session_id");`);

    this.addSql(
      `alter table "messages" add constraint "messages_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "message_batches" add constraint "message_batches_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(stampVersion(1));
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "message_batches" cascade;`);
    this.addSql(`drop table if exists "messages" cascade;`);
    this.addSql(`drop table if exists "sessions" cascade;`);
    this.addSql(`drop table if exists "schema_info" cascade;`);
  }
}
