import { Test } from '@nestjs/testing';
import { ConfigModule, loadConfig } from '@plugboard/config';
import { ErrorCode } from '@plugboard/contracts';
import { HealthRegistry, ServiceContext } from '@plugboard/service-kit';
import { CacheError } from './cache.errors';
import { createCache, type CacheConfig } from './cache.factory';
import { CacheModule } from './cache.module';
import { CachePort } from './cache.port';
import { MemoryCacheAdapter } from './memory-cache.adapter';
import { ReadThroughCache } from './read-through-cache';
import { RedisCacheAdapter } from './redis-cache.adapter';

const base: CacheConfig = {
  REDIS_ENABLED: false,
  REDIS_HOST: '127.0.0.1',
  REDIS_PORT: 6379,
  REDIS_USERNAME: undefined,
  REDIS_PASSWORD: undefined,
  REDIS_TLS: false,
  REDIS_CACHE_DB: 1,
  QUEUE_PREFIX: 'plugboard',
};

describe('createCache', () => {
  it('picks memory when REDIS_ENABLED=false', async () => {
    const cache = createCache(base);
    expect(cache).toBeInstanceOf(MemoryCacheAdapter);
    await cache.close();
  });

  it('picks redis when REDIS_ENABLED=true, without connecting yet', async () => {
    const cache = createCache({ ...base, REDIS_ENABLED: true });
    expect(cache).toBeInstanceOf(RedisCacheAdapter);
    expect(cache.plug).toBe('redis');
    await cache.close();
  });

  it('throws on anything but a boolean', () => {
    const error = (() => {
      try {
        return createCache({ ...base, REDIS_ENABLED: 'yes' as unknown as boolean });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toMatchObject({ code: ErrorCode.ValidationFailed, message: 'Unsupported REDIS_ENABLED "yes": expected true or false' });
  });
});

describe('CacheModule', () => {
  it('provides CachePort and ReadThroughCache globally and closes the cache on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot(base)] }).compile();
    const cache = moduleRef.get(CachePort);
    expect(cache).toBeInstanceOf(MemoryCacheAdapter);
    expect(moduleRef.get(ReadThroughCache)).toBeInstanceOf(ReadThroughCache);
    moduleRef.enableShutdownHooks();
    await moduleRef.close();
    expect((await cache.health()).status).toBe('down');
  });
});

/** Stands in for the service kit, which provides the HealthRegistry globally in a real service. */
class HealthHostModule {}

describe('CacheModule.forRootAsync', () => {
  it('builds the plug from the injected APP_CONFIG and registers the cache health probe', async () => {
    const context = ServiceContext.create('gateway', loadConfig({ env: {}, cwd: __dirname }));
    const health = new HealthRegistry(context, 1_000);
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ ...context.config, REDIS_ENABLED: false }),
        { module: HealthHostModule, global: true, providers: [{ provide: HealthRegistry, useValue: health }], exports: [HealthRegistry] },
        CacheModule.forRootAsync(),
      ],
    }).compile();
    expect(moduleRef.get(CachePort)).toBeInstanceOf(MemoryCacheAdapter);
    expect((await health.checkSockets()).map((s) => [s.socket, s.status])).toEqual([['cache', 'up']]);
    await moduleRef.close();
  });
});
