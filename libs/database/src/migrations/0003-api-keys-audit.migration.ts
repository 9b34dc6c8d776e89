import { Migration } from '@mikro-orm/migrations';
import { stampVersion } from './stamp-version';

/** The gateway's API keys (hashed, with role and scopes) and its audit log. */
export class Migration0003ApiKeysAudit extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "api_keys" ("id" varchar(36) not null, "name" varchar(255) not null, "prefix" varchar(16) not null, "hash" varchar(64) not null, "role" text check ("role" in ('admin', 'operator', 'viewer')) not null, "session_ids" jsonb not null, "ip_ranges" jsonb not null, "expires_at" timestamptz null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, "created_at" timestamptz not null, "created_by" varchar(255) null, constraint "api_keys_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "api_keys" add constraint "api_keys_hash_unique" unique ("hash");`);
    this.addSql(`create index "api_keys_role_index" on "api_keys" ("role", "revoked_at");`);

    this.addSql(
      `create table "audit_logs" ("id" varchar(36) not null, "at" timestamptz not null, "actor_key_id" varchar(36) null, "actor_name" varchar(255) null, "action" varchar(64) not null, "target" varchar(255) null, "ip" varchar(64) null, "details" jsonb null, constraint "audit_logs_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "audit_logs_action_at_index" on "audit_logs" ("action", "at", "id");`);
    this.addSql(`create index "audit_logs_at_index" on "audit_logs" ("at", "id");`);

    this.addSql(stampVersion(3));
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_logs" cascade;`);
    this.addSql(`drop table if exists "api_keys" cascade;`);
  }
}
