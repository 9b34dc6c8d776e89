import { type DynamicModule, Global, Inject, Module } from '@nestjs/common';
import type { AppConfig } from './config.schema';

/** DI token of the validated `AppConfig`. */
export const APP_CONFIG = 'APP_CONFIG';

/** Parameter decorator: `constructor(@InjectConfig() config: AppConfig)`. */
export const InjectConfig = (): ParameterDecorator & PropertyDecorator => Inject(APP_CONFIG);

/**
 * Makes the configuration injectable everywhere. It takes an already loaded config, so
 * `main.ts` validates (and exits on problems) before Nest builds anything.
 */
@Global()
@Module({})
export class ConfigModule {
  /** Registers `config` under `APP_CONFIG` for the whole application. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
