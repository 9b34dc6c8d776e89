import { Module, type NestModule } from '@nestjs/common';
import { CacheModule } from '@plugboard/cache';
import { SessionCacheEvents } from './session-cache-events';
import { SessionReadCache } from './session-read-cache';
import { SessionStatsService } from './session-stats.service';
import { SessionStatusCache } from './session-status-cache';
import { SessionStatusFastPath } from './session-status.fast-path';
import { SessionsClient } from './sessions.client';
import { SessionsController } from './sessions.controller';

/** The session routes of the public API, with the cache socket they read through. */
@Module({
  imports: [CacheModule.forRootAsync()],
  controllers: [SessionsController],
  providers: [SessionsClient, SessionStatusCache, SessionReadCache, SessionStatsService, SessionCacheEvents, SessionStatusFastPath],
  exports: [SessionsClient, SessionStatusCache],
})
export class SessionsModule implements NestModule {
  constructor(private readonly statusFastPath: SessionStatusFastPath) {}

  /** Nest's last call before it registers the routes: the one moment the fast path can wrap its route. */
  configure(): void {
    this.statusFastPath.install();
  }
}
