import { Module } from '@nestjs/common';
import { CacheModule } from '@plugboard/cache';
import { SessionStatusCache } from './session-status-cache';
import { SessionsClient } from './sessions.client';
import { SessionsController } from './sessions.controller';

/** The session routes of the public API, with the cache socket they read status through. */
@Module({
  imports: [CacheModule.forRootAsync()],
  controllers: [SessionsController],
  providers: [SessionsClient, SessionStatusCache],
  exports: [SessionsClient, SessionStatusCache],
})
export class SessionsModule {}
