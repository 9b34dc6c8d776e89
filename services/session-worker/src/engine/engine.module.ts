import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { SimulatorRepository } from '@plugboard/database';
import { HealthRegistry, ServiceContext, ServiceLogger } from '@plugboard/service-kit';
import { EngineRegistry } from './engine-registry';

/**
 * The engine socket for the session-worker: provides `EngineRegistry` (plugs by name,
 * ENGINE_TYPE as default), reports the default plug as the `engine` socket in health and
 * closes every browser and timer on shutdown.
 */
@Global()
@Module({
  providers: [
    {
      provide: EngineRegistry,
      inject: [ServiceContext, SimulatorRepository, ServiceLogger, HealthRegistry],
      useFactory: (context: ServiceContext, simulator: SimulatorRepository, logger: ServiceLogger, health: HealthRegistry) => {
        const registry = new EngineRegistry(context.config, { simulator, logger });
        health.register('engine', () => registry.health());
        return registry;
      },
    },
  ],
  exports: [EngineRegistry],
})
export class EngineModule implements OnApplicationShutdown {
  constructor(@Inject(EngineRegistry) private readonly registry: EngineRegistry) {}

  async onApplicationShutdown(): Promise<void> {
    await this.registry.close();
  }
}
