import { Injectable } from '@nestjs/common';
import type { MigrateReply } from '@plugboard/contracts';
import { Database, readSchemaVersion, runMigrations, translateDriverError } from '@plugboard/database';
import { ServiceLogger } from '@plugboard/service-kit';

/**
 * `POST /api/infra/migrate` on the infra-admin side: the same migrator as `infra-admin migrate`
 * (the advisory lock makes it safe beside booting replicas and a running Job). SQLite has no
 * migrations: its schema is synced at boot, so the reply only reports the version in force.
 */
@Injectable()
export class SchemaMigrator {
  constructor(
    private readonly database: Database,
    private readonly logger: ServiceLogger,
  ) {}

  async migrate(): Promise<MigrateReply> {
    const databaseType = this.database.config.DATABASE_TYPE;
    try {
      const applied = databaseType === 'postgres' ? (await runMigrations(this.database.orm)).applied : [];
      const schemaVersion = (await readSchemaVersion(this.database.orm.em)) ?? null;
      if (applied.length) this.logger.log(`applied ${applied.length} migration(s): ${applied.join(', ')}`, 'Migrate');
      return { databaseType, schemaVersion, applied };
    } catch (error) {
      throw translateDriverError(error);
    }
  }
}
