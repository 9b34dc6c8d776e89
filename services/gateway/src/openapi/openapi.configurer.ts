import { Injectable } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { HttpAppConfigurer, ServiceContext } from '@plugboard/service-kit';
import { buildOpenApiDocument } from './openapi.document';
import { RouteCatalog } from './route-catalog';
import { documentServiceKitRoutes } from './service-kit-routes.docs';

/** The UI; the JSON document is at `${DOCS_PATH}-json`. */
export const DOCS_PATH = 'api/docs';

/**
 * Mounts the OpenAPI document at /api/docs (UI) and /api/docs-json before the gateway starts
 * listening, and records every route Fastify registers so a test can prove none is missing.
 */
@Injectable()
export class OpenApiConfigurer extends HttpAppConfigurer {
  constructor(
    private readonly catalog: RouteCatalog,
    private readonly context: ServiceContext,
  ) {
    super();
  }

  configure(app: NestFastifyApplication): void {
    app.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) this.catalog.add({ method, url: route.url });
    });
    documentServiceKitRoutes();
    // A factory: the document is built on first request, after every module registered its routes.
    SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app, this.context.version), {
      jsonDocumentUrl: `${DOCS_PATH}-json`,
      yamlDocumentUrl: `${DOCS_PATH}-yaml`,
    });
  }
}
