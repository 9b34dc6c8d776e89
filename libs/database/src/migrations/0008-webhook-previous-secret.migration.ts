import { Migration } from '@mikro-orm/migrations';
import { stampVersion } from './stamp-version';

/**
 * Schema version 8: a webhook's secret before its last rotation (`previous_secret`), which
 * signs deliveries alongside the new one until `previous_secret_expires_at`. Existing
 * webhooks have none.
 */
export class Migration0008WebhookPreviousSecret extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "webhooks" add column "previous_secret" varchar(255) null, add column "previous_secret_expires_at" timestamptz null;`);
    this.addSql(stampVersion(8));
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "webhooks" drop column "previous_secret", drop column "previous_secret_expires_at";`);
  }
}
