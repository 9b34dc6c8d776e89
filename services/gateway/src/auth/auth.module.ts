import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { AdminKey, resolveAdminKey } from './admin-key';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyStore } from './api-key-store';

/**
 * API keys for the whole gateway: the master key, the key store and the global guard. Global,
 * so every feature module's routes are guarded and can inject `ApiKeyStore`/`AdminKey`, and
 * the guard itself (the status fast path asks it for a verdict).
 */
@Global()
@Module({
  imports: [RateLimitModule],
  providers: [
    { provide: AdminKey, inject: [APP_CONFIG], useFactory: (config: AppConfig) => resolveAdminKey(config) },
    ApiKeyStore,
    ApiKeyGuard,
    { provide: APP_GUARD, useExisting: ApiKeyGuard },
  ],
  exports: [AdminKey, ApiKeyStore, ApiKeyGuard],
})
export class AuthModule {}
