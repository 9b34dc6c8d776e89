import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createStorage, type StorageConfig } from './storage.factory';
import { StoragePort } from './storage.port';

/** Provides the files socket as `StoragePort` to the whole application and closes it on shutdown. */
@Global()
@Module({})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(StoragePort) private readonly storage: StoragePort) {}

  /** Picks and opens the plug chosen by `config` (an unreachable S3 starts `down`, it does not fail the boot). */
  static forRoot(config: StorageConfig): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [
        {
          provide: StoragePort,
          useFactory: async () => {
            const storage = createStorage(config);
            await storage.open();
            return storage;
          },
        },
      ],
      exports: [StoragePort],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}
