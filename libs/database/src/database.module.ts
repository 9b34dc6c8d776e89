import { type DynamicModule, Global, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import type { DatabaseConfig } from './database.config';
import { Database, type CreateDatabaseOptions } from './database';
import { DatabaseConnector } from './database-connector';
import { DatabaseHealth } from './database.health';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { AuditLogRepository } from './repositories/audit-log.repository';
import { MessageAnnouncementRepository } from './repositories/message-announcements';
import { MessageBatchRepository } from './repositories/message-batch.repository';
import { MessageRepository } from './repositories/message.repository';
import { SessionRepository } from './repositories/session.repository';
import { SimulatorRepository } from './repositories/simulator.repository';
import { MediaRepository } from './repositories/media.repository';
import { WebhookCursorRepository } from './repositories/webhook-cursor.repository';
import { WebhookDeliveryRepository } from './repositories/webhook-delivery.repository';
import { WebhookRepository } from './repositories/webhook.repository';

/** Starts and closes a Database the module created itself. */
class OwnedDatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly database: Database) {}

  onModuleInit(): Promise<void> {
    return this.database.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.database.close();
  }
}

function providersOf(database: Database) {
  return [
    { provide: Database, useValue: database },
    { provide: MikroORM, useValue: database.orm },
    { provide: DatabaseConnector, useValue: database.connector },
    { provide: DatabaseHealth, useValue: database.health },
    { provide: SessionRepository, useValue: database.sessions },
    { provide: MessageRepository, useValue: database.messages },
    { provide: MessageAnnouncementRepository, useValue: database.announcements },
    { provide: MessageBatchRepository, useValue: database.batches },
    { provide: ApiKeyRepository, useValue: database.apiKeys },
    { provide: AuditLogRepository, useValue: database.auditLogs },
    { provide: SimulatorRepository, useValue: database.simulator },
    { provide: MediaRepository, useValue: database.media },
    { provide: WebhookRepository, useValue: database.webhooks },
    { provide: WebhookDeliveryRepository, useValue: database.webhookDeliveries },
    { provide: WebhookCursorRepository, useValue: database.webhookCursors },
  ];
}

const EXPORTS = [Database, MikroORM, DatabaseConnector, DatabaseHealth, SessionRepository, MessageRepository, MessageAnnouncementRepository, MessageBatchRepository, ApiKeyRepository, AuditLogRepository, SimulatorRepository, MediaRepository, WebhookRepository, WebhookDeliveryRepository, WebhookCursorRepository];

/**
 * The database socket for Nest: `Database`, `MikroORM`, the connector (state, whenReady), the
 * health probe and the repositories, available everywhere. Boot does not wait for the
 * database: see `DatabaseConnector` for why.
 */
@Global()
@Module({})
export class DatabaseModule {
  /** Provides an instance created (and started, and closed) by the caller, e.g. shared by the services of one process. */
  static forInstance(database: Database): DynamicModule {
    return { module: DatabaseModule, global: true, providers: providersOf(database), exports: EXPORTS };
  }

  /** Creates its own instance from config, starts it at init and closes it at shutdown. */
  static async forRoot(config: DatabaseConfig, options: CreateDatabaseOptions = {}): Promise<DynamicModule> {
    const database = await Database.create(config, { logger: new Logger('Database'), ...options });
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        ...providersOf(database),
        { provide: OwnedDatabaseLifecycle, useValue: new OwnedDatabaseLifecycle(database) },
      ],
      exports: EXPORTS,
    };
  }
}
