import {
  type DynamicModule,
  Global,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { type DatabaseConfig, createDatabaseOptions } from './database.config';
import { DatabaseConnector } from './database-connector';
import { DatabaseHealth } from './database.health';
import { MessageBatchRepository } from './repositories/message-batch.repository';
import { MessageRepository } from './repositories/message.repository';
import { SessionRepository } from './repositories/session.repository';

export interface DatabaseModuleOptions {
  /** PostgreSQL: apply pending migrations at boot (infra-admin, embedded mode); others wait for them. */
  migrate?: boolean;
}

/** Runs the connector with the Nest lifecycle: first attempt at init, close on shutdown. */
class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly connector: DatabaseConnector) {}

  async onModuleInit(): Promise<void> {
    await this.connector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connector.stop();
  }
}

/**
 * The database socket for Nest: `MikroORM`, the connector (state, whenReady), the health
 * probe and the repositories, available everywhere. Boot does not wait for the database:
 * see `DatabaseConnector` for why.
 */
@Global()
@Module({})
export class DatabaseModule {
  /** Picks the plug from `DATABASE_TYPE` (throws on anything but sqlite or postgres). */
  static forRoot(config: DatabaseConfig, options: DatabaseModuleOptions = {}): DynamicModule {
    const logger = new Logger('Database');
    const ormOptions = createDatabaseOptions(config, { logger: (message) => logger.debug(message) });
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        // connect: false in the options, so this needs no database and never blocks the boot.
        { provide: MikroORM, useFactory: () => MikroORM.init(ormOptions) },
        {
          provide: DatabaseConnector,
          useFactory: (orm: MikroORM) => new DatabaseConnector(orm, config, { migrate: options.migrate, logger }),
          inject: [MikroORM],
        },
        { provide: DatabaseLifecycle, useFactory: (c: DatabaseConnector) => new DatabaseLifecycle(c), inject: [DatabaseConnector] },
        {
          provide: DatabaseHealth,
          useFactory: (orm: MikroORM, c: DatabaseConnector) => new DatabaseHealth(orm, config.DATABASE_TYPE, c),
          inject: [MikroORM, DatabaseConnector],
        },
        { provide: SessionRepository, useFactory: (orm: MikroORM) => new SessionRepository(orm), inject: [MikroORM] },
        { provide: MessageRepository, useFactory: (orm: MikroORM) => new MessageRepository(orm), inject: [MikroORM] },
        {
          provide: MessageBatchRepository,
          useFactory: (orm: MikroORM, messages: MessageRepository) => new MessageBatchRepository(orm, messages),
          inject: [MikroORM, MessageRepository],
        },
      ],
      exports: [MikroORM, DatabaseConnector, DatabaseHealth, SessionRepository, MessageRepository, MessageBatchRepository],
    };
  }
}
