import { MikroORM } from '@mikro-orm/core';
import { type DatabaseConfig, createDatabaseOptions } from './database.config';
import { DatabaseConnector, type DatabaseConnectorOptions } from './database-connector';
import { DatabaseHealth } from './database.health';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { AuditLogRepository } from './repositories/audit-log.repository';
import { MediaRepository } from './repositories/media.repository';
import { MessageAnnouncementRepository } from './repositories/message-announcements';
import { MessageBatchRepository } from './repositories/message-batch.repository';
import { MessageRepository } from './repositories/message.repository';
import { SessionRepository } from './repositories/session.repository';
import { SimulatorRepository } from './repositories/simulator.repository';
import { WebhookCursorRepository } from './repositories/webhook-cursor.repository';
import { WebhookDeliveryRepository } from './repositories/webhook-delivery.repository';
import { WebhookRepository } from './repositories/webhook.repository';

export interface CreateDatabaseOptions {
  /** PostgreSQL: apply pending migrations at boot (infra-admin, embedded mode); others wait for them. */
  migrate?: boolean;
  logger?: DatabaseConnectorOptions['logger'] & { debug?(message: string): void };
}

/**
 * One database socket instance: the ORM, its connector (state, whenReady), health and the
 * repositories. Created once per process and handed to every service in it, like the bus,
 * so embedded mode has one SQLite connection instead of four competing for the file lock.
 */
export class Database {
  readonly connector: DatabaseConnector;
  readonly health: DatabaseHealth;
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  readonly announcements: MessageAnnouncementRepository;
  readonly batches: MessageBatchRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly auditLogs: AuditLogRepository;
  readonly simulator: SimulatorRepository;
  readonly media: MediaRepository;
  readonly webhooks: WebhookRepository;
  readonly webhookDeliveries: WebhookDeliveryRepository;
  readonly webhookCursors: WebhookCursorRepository;

  private constructor(
    readonly orm: MikroORM,
    readonly config: DatabaseConfig,
    options: CreateDatabaseOptions,
  ) {
    this.connector = new DatabaseConnector(orm, config, { migrate: options.migrate, logger: options.logger });
    this.health = new DatabaseHealth(orm, config.DATABASE_TYPE, this.connector);
    this.sessions = new SessionRepository(orm);
    this.messages = new MessageRepository(orm);
    this.announcements = new MessageAnnouncementRepository(orm);
    this.batches = new MessageBatchRepository(orm, this.messages);
    this.apiKeys = new ApiKeyRepository(orm, { lockRows: config.DATABASE_TYPE === 'postgres' });
    this.auditLogs = new AuditLogRepository(orm);
    this.simulator = new SimulatorRepository(orm);
    this.media = new MediaRepository(orm);
    this.webhooks = new WebhookRepository(orm);
    this.webhookDeliveries = new WebhookDeliveryRepository(orm);
    this.webhookCursors = new WebhookCursorRepository(orm);
  }

  /** Picks the plug from `DATABASE_TYPE` (throws on anything but sqlite or postgres); does not connect yet. */
  static async create(config: DatabaseConfig, options: CreateDatabaseOptions = {}): Promise<Database> {
    const debug = options.logger?.debug?.bind(options.logger);
    // connect: false in the options, so this needs no database and never blocks the boot.
    const orm = await MikroORM.init(createDatabaseOptions(config, { logger: debug ? (m) => debug(m) : undefined }));
    return new Database(orm, config, options);
  }

  /** First connection attempt; retries go on in the background (see DatabaseConnector). */
  start(): Promise<void> {
    return this.connector.start();
  }

  /** Stops retrying and closes the connections. */
  close(): Promise<void> {
    return this.connector.stop();
  }
}
