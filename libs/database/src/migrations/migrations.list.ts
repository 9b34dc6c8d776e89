import type { MigrationObject } from '@mikro-orm/core';
import { Migration0001Initial } from './0001-initial.migration';
import { Migration0002Simulator } from './0002-simulator.migration';
import { Migration0003ApiKeysAudit } from './0003-api-keys-audit.migration';
import { Migration0004Webhooks } from './0004-webhooks.migration';
import { Migration0005Media } from './0005-media.migration';
import { Migration0006MessageSchedule } from './0006-message-schedule.migration';
import { Migration0007MessageAnnounced } from './0007-message-announced.migration';
import { Migration0008WebhookPreviousSecret } from './0008-webhook-previous-secret.migration';

/**
 * Every PostgreSQL migration, in order, registered explicitly (the build has no .ts files
 * to glob). Never rename or remove an entry: the name is what the ledger records.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration0001Initial', class: Migration0001Initial },
  { name: 'Migration0002Simulator', class: Migration0002Simulator },
  { name: 'Migration0003ApiKeysAudit', class: Migration0003ApiKeysAudit },
  { name: 'Migration0004Webhooks', class: Migration0004Webhooks },
  { name: 'Migration0005Media', class: Migration0005Media },
  { name: 'Migration0006MessageSchedule', class: Migration0006MessageSchedule },
  { name: 'Migration0007MessageAnnounced', class: Migration0007MessageAnnounced },
  { name: 'Migration0008WebhookPreviousSecret', class: Migration0008WebhookPreviousSecret },
];
