import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorBodySchema } from '@plugboard/contracts';
import { z } from 'zod';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../auth/require-role.decorator';
import { openApiSchema } from './zod-json-schema';

/** `{ error: { code, message, details? } }`: the one error shape, `components.schemas.Error`. */
const ErrorResponseSchema = z.object({ error: ErrorBodySchema }).describe('Every error of the API');
const ERROR_REF = { $ref: '#/components/schemas/Error' };

/**
 * The OpenAPI document of the gateway, generated from its controllers (zod schemas attached
 * with apiBody/apiResponse). Every operation also lists the error shape as its default response.
 */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Plugboard API')
    .setDescription('Self-hosted WhatsApp HTTP API. Send the API key in X-API-Key or Authorization: Bearer, never in the URL.')
    .setVersion(version)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer' }, BEARER_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, Error: openApiSchema(ErrorResponseSchema) } };
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations) as { responses?: Record<string, unknown> }[]) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      operation.responses = {
        ...operation.responses,
        default: { description: 'Error: `{ error: { code, message, details? } }`', content: { 'application/json': { schema: ERROR_REF } } },
      };
    }
  }
  return document;
}
