import { type DynamicModule, Global, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createCache, type CacheConfig } from './cache.factory';
import { CachePort } from './cache.port';
import { ReadThroughCache } from './read-through-cache';

/** Makes the cache socket injectable everywhere as `CachePort`, with a `ReadThroughCache` over it. */
@Global()
@Module({})
export class CacheModule implements OnApplicationShutdown {
  constructor(private readonly cache: CachePort) {}

  /** Builds the plug chosen by `config` (it connects on first use). */
  static forRoot(config: CacheConfig): DynamicModule {
    return {
      module: CacheModule,
      global: true,
      providers: [
        { provide: CachePort, useFactory: () => createCache(config, new Logger('Cache')) },
        { provide: ReadThroughCache, useFactory: (cache: CachePort) => new ReadThroughCache(cache), inject: [CachePort] },
      ],
      exports: [CachePort, ReadThroughCache],
    };
  }

  /** Closes the connection when the app stops (needs `enableShutdownHooks()` or `app.close()`). */
  onApplicationShutdown(): Promise<void> {
    return this.cache.close();
  }
}
