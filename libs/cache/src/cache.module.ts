import { type DynamicModule, Global, Logger, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { APP_CONFIG } from '@plugboard/config';
import { HealthRegistry } from '@plugboard/service-kit';
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
    return CacheModule.build({ provide: CachePort, useFactory: () => createCache(config, new Logger('Cache')) });
  }

  /**
   * Builds the plug from the app's injected `APP_CONFIG` once the app boots (a service's config
   * does not exist when its module class is declared), and registers the `cache` probe in the
   * service's `HealthRegistry` when there is one.
   */
  static forRootAsync(): DynamicModule {
    return CacheModule.build({
      provide: CachePort,
      inject: [APP_CONFIG, { token: HealthRegistry, optional: true }],
      useFactory: (config: CacheConfig, health?: HealthRegistry) => {
        const cache = createCache(config, new Logger('Cache'));
        health?.register('cache', () => cache.health());
        return cache;
      },
    });
  }

  /** Closes the connection when the app stops (needs `enableShutdownHooks()` or `app.close()`). */
  onApplicationShutdown(): Promise<void> {
    return this.cache.close();
  }

  private static build(cacheProvider: Provider<CachePort>): DynamicModule {
    return {
      module: CacheModule,
      global: true,
      providers: [
        cacheProvider,
        { provide: ReadThroughCache, useFactory: (cache: CachePort) => new ReadThroughCache(cache), inject: [CachePort] },
      ],
      exports: [CachePort, ReadThroughCache],
    };
  }
}
