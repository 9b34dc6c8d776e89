import { Module } from '@nestjs/common';
import { HttpAppConfigurer } from '@plugboard/service-kit';
import { OpenApiConfigurer } from './openapi.configurer';
import { RouteCatalog } from './route-catalog';

/** OpenAPI at /api/docs, generated from the gateway's controllers. */
@Module({
  providers: [RouteCatalog, OpenApiConfigurer, { provide: HttpAppConfigurer, useExisting: OpenApiConfigurer }],
  exports: [RouteCatalog],
})
export class OpenApiModule {}
