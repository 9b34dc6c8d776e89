import { loadConfigOrExit } from '@plugboard/config';
import { SCHEMA_VERSION, openDatabase, readSchemaVersion } from '@plugboard/database';
import { createServiceLogger } from '@plugboard/service-kit';

/**
 * `infra-admin migrate`: brings the database to this release's schema and exits (a
 * Kubernetes Job before a rollout). PostgreSQL migrates under the advisory lock, so it may
 * run beside booting replicas; SQLite syncs its schema. Exit 0 when current, 1 otherwise.
 */
export async function runMigrateCommand(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createServiceLogger('infra-admin', config.LOG_LEVEL);
  try {
    const orm = await openDatabase(config, { migrate: true });
    const version = await readSchemaVersion(orm.em);
    await orm.close(true);
    logger.log(`database (${config.DATABASE_TYPE}) is at schema version ${version ?? SCHEMA_VERSION}`);
    process.exit(0);
  } catch (error) {
    logger.error(`migrate failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
