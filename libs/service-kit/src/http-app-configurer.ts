import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Optional provider of a service module that needs the HTTP app itself before it listens
 * (the gateway mounts its OpenAPI document this way). `bootstrapService` calls it once,
 * after the app is created and before routes are initialised.
 */
export abstract class HttpAppConfigurer {
  /** Registers plugins, hooks or documents on the app. */
  abstract configure(app: NestFastifyApplication): Promise<void> | void;
}
