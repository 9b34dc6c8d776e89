import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { HealthRegistry } from '@plugboard/service-kit';
import { StoragePort, createStorage } from '@plugboard/storage';
import { SwitchableStorage } from './switchable-storage';

/**
 * The files socket of the media-service, chosen from the validated config (StorageModule
 * wants its config at import time; a service module only gets it by injection), with its
 * probe registered as socket `files`. An unreachable S3 does not fail the boot: it is `down`.
 * It sits behind SwitchableStorage so a storage migration can swap the plug at run time.
 */
export const MEDIA_STORAGE_PROVIDERS: Provider[] = [
  {
    provide: SwitchableStorage,
    inject: [APP_CONFIG, HealthRegistry],
    useFactory: async (config: AppConfig, health: HealthRegistry) => {
      const storage = createStorage(config);
      await storage.open();
      const switchable = new SwitchableStorage(storage);
      health.register('files', () => switchable.health());
      return switchable;
    },
  },
  { provide: StoragePort, useExisting: SwitchableStorage },
];

/** Closes the files socket with the service. */
@Injectable()
export class MediaStorageCloser implements OnApplicationShutdown {
  constructor(@Inject(StoragePort) private readonly storage: StoragePort) {}

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}
