import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { z } from 'zod';
import { type OpenApiSchema, openApiSchema } from './zod-json-schema';

/** Documents the request body of a route from the zod schema it is validated with. */
export function apiBody(schema: z.ZodType, description?: string): MethodDecorator {
  return ApiBody({ schema: openApiSchema(schema, 'input'), ...(description ? { description } : {}) });
}

/** Documents one response of a route; without a schema, a response with no body. */
export function apiResponse(status: number, schema?: z.ZodType, description?: string): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description: description ?? defaultDescription(status), ...(schema ? { schema: openApiSchema(schema) } : {}) });
}

/** Documents each property of a (flat) zod object as a query parameter. */
export function apiQuery(schema: z.ZodObject): MethodDecorator {
  const json = openApiSchema(schema, 'input') as { properties?: Record<string, OpenApiSchema>; required?: string[] };
  const required = new Set(json.required ?? []);
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: required.has(name), schema: property, ...(typeof property.description === 'string' ? { description: property.description } : {}) }),
    ),
  );
}

function defaultDescription(status: number): string {
  if (status === 201) return 'Created';
  if (status === 204) return 'No content';
  return status < 300 ? 'OK' : 'Error';
}
