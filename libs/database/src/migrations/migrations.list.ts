import type { MigrationObject } from '@mikro-orm/core';
import { Migration0001Initial } from './0001-initial.migration';

/**
 * Every PostgreSQL migration, in order, registered explicitly (the build has no .ts files
 * to glob). Never rename or remove an entry: the name is what the ledger records.
 */
export const MIGRATIONS: MigrationObject[] = [{ name: 'Migration0001Initial', class: Migration0001Initial }];
