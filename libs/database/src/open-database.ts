import { MikroORM } from '@mikro-orm/core';
import { type DatabaseConfig, type DatabaseOptionsExtras, createDatabaseOptions } from './database.config';
import { DatabaseError } from './database.errors';
import { type PrepareOptions, prepareDatabase } from './prepare-database';

/**
 * Connects and prepares the database once, without retries: for CLI jobs (`migrate`,
 * export/import) and tests, where failing fast is right. Services use Database (through the service kit).
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: Partial<PrepareOptions> & DatabaseOptionsExtras = {},
): Promise<MikroORM> {
  const orm = await MikroORM.init(createDatabaseOptions(config, options));
  try {
    await orm.connect();
    const check = await orm.checkConnection();
    if (!check.ok) throw DatabaseError.unavailable(check.reason ?? 'connection check failed', check.error);
    await prepareDatabase(orm, config, { migrate: options.migrate ?? false });
    return orm;
  } catch (error) {
    await orm.close(true);
    throw error;
  }
}
