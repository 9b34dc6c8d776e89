export { createDatabaseOptions, type DatabaseConfig, type DatabasePlug, type DatabaseOptionsExtras } from './database.config';
export { DatabaseError, translateDriverError } from './database.errors';
export { DatabaseModule } from './database.module';
export { Database, type CreateDatabaseOptions } from './database';
export {
  DatabaseConnector,
  type DatabaseConnectionState,
  type DatabaseConnectionStatus,
  type DatabaseConnectorOptions,
} from './database-connector';
export { DatabaseHealth, DEFAULT_DATABASE_PROBE_TIMEOUT_MS } from './database.health';
export { prepareDatabase, type PrepareOptions } from './prepare-database';
export { runMigrations, MIGRATION_LOCK_KEY, type MigrationResult } from './run-migrations';
export { SCHEMA_VERSION, readSchemaVersion } from './schema-version';
export { DATABASE_ENTITIES } from './entities/database-entities';
export * from './entities/session.entity';
export * from './entities/message.entity';
export * from './entities/message-batch.entity';
export * from './entities/api-key.entity';
export * from './entities/audit-log.entity';
export { SchemaInfoEntity } from './entities/schema-info.entity';
export * from './repositories/session.repository';
export * from './repositories/message.repository';
export { toMessageView } from './repositories/message-view';
export { TickBatches } from './repositories/tick-batches';
export * from './repositories/message-announcements';
export * from './repositories/message-batch.repository';
export * from './repositories/api-key.repository';
export * from './repositories/audit-log.repository';
export * from './entities/simulator-device.entity';
export * from './entities/simulator-message.entity';
export * from './repositories/simulator.repository';
export { canTransition, sendTries } from './repositories/message-status';
export { SqlStatements, type SqlDialect, type SqlRow } from './repositories/sql-statements';
export { encodeMessageCursor, decodeMessageCursor, type MessageCursor } from './repositories/message-cursor';
export { openDatabase } from './open-database';
export * from './entities/media.entity';
export * from './repositories/media.repository';
export * from './entities/webhook.entity';
export * from './entities/webhook-delivery.entity';
export * from './entities/webhook-cursor.entity';
export * from './repositories/webhook.repository';
export * from './repositories/webhook-delivery.repository';
export * from './repositories/webhook-cursor.repository';
