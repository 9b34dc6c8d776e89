import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorBodySchema } from '@plugboard/contracts';
import { z } from 'zod';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../auth/require-role.decorator';
import { RATE_LIMIT_HEADERS } from '../rate-limit/rate-limit.service';
import { openApiSchema } from './zod-json-schema';

/** `{ error: { code, message, details? } }`: the one error shape, `components.schemas.Error`. */
const ErrorResponseSchema = z.object({ error: ErrorBodySchema }).describe('Every error of the API');
export const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** The headers of a rate-limited answer (RATE_LIMIT_ENABLED), `components.headers`. */
const RATE_LIMIT_HEADER_DOCS = {
  [RATE_LIMIT_HEADERS.limit]: 'Requests allowed in the current one-minute window (per key, or per client address without a valid key)',
  [RATE_LIMIT_HEADERS.remaining]: 'Requests left in the current window',
  [RATE_LIMIT_HEADERS.reset]: 'Seconds until the current window ends and the count starts over',
};
const integerHeader = (description: string) => ({ description, schema: { type: 'integer', minimum: 0 } });
const headerRefs = (names: string[]) => Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
/** Every route but /health counts against the limits. */
const isRateLimited = (path: string) => path !== '/health' && !path.startsWith('/health/');

/**
 * The OpenAPI document of the gateway, generated from its controllers (zod schemas attached
 * with apiBody/apiResponse). Every operation also lists the error shape as its default response
 * and, where requests are counted, the rate-limit headers and the 429 answer.
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
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, Error: openApiSchema(ErrorResponseSchema) },
    headers: {
      ...document.components?.headers,
      ...Object.fromEntries(Object.entries(RATE_LIMIT_HEADER_DOCS).map(([name, description]) => [name, integerHeader(description)])),
      'retry-after': integerHeader('Seconds to wait before the next request counts in a new window'),
    },
  };
  const rateHeaders = headerRefs(Object.keys(RATE_LIMIT_HEADER_DOCS));
  const error = (description: string, headers?: Record<string, unknown>) => ({ description, headers, content: { 'application/json': { schema: ERROR_REF } } });
  for (const [path, operations] of Object.entries(document.paths)) {
    const limited = isRateLimited(path);
    for (const operation of Object.values(operations) as { responses?: Record<string, { headers?: Record<string, unknown> }> }[]) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const responses = { ...operation.responses };
      if (limited) {
        for (const [status, response] of Object.entries(responses)) responses[status] = { ...response, headers: { ...response.headers, ...rateHeaders } };
        responses['429'] = error('RATE_LIMITED: the key or client address made too many requests this minute', { ...rateHeaders, ...headerRefs(['retry-after']) });
      }
      responses.default = error('Error: `{ error: { code, message, details? } }`', limited ? rateHeaders : undefined);
      operation.responses = responses;
    }
  }
  return document;
}
