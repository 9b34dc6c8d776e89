import { Migration } from '@mikro-orm/migrations';
import { stampVersion } from './stamp-version';

/** The simulator engine's side of WhatsApp: simulated phones and the messages they exchanged. */
export class Migration0002Simulator extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "simulator_devices" ("session_id" varchar(64) not null, "paired" boolean not null default false, "phone" varchar(255) null, "push_name" varchar(255) null, "paired_at" timestamptz null, "pending_send_failures" int not null default 0, "updated_at" timestamptz not null, constraint "simulator_devices_pkey" primary key ("session_id"));`,
    );

    this.addSql(
      `create table "simulator_messages" ("id" varchar(36) not null, "session_id" varchar(64) not null, "client_message_id" varchar(255) null, "wa_message_id" varchar(255) not null, "chat_id" varchar(255) not null, "direction" text check ("direction" in ('out', 'in')) not null, "type" varchar(255) not null, "body" text null, "payload" jsonb not null, "ack" text check ("ack" in ('sent', 'delivered', 'read')) null, "created_at" timestamptz not null, constraint "simulator_messages_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "simulator_messages" add constraint "simulator_messages_wa_message_id_unique" unique ("wa_message_id");`);
    this.addSql(`create index "simulator_messages_session_created_index" on "simulator_messages" ("session_id", "created_at");`);
    this.addSql(
      `alter table "simulator_messages" add constraint "simulator_messages_session_client_unique" unique ("session_id", "client_message_id");`,
    );

    this.addSql(stampVersion(2));
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "simulator_messages" cascade;`);
    this.addSql(`drop table if exists "simulator_devices" cascade;`);
  }
}
