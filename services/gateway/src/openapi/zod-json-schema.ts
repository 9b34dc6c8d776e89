import { z } from 'zod';

/** A JSON schema object as @nestjs/swagger takes it. */
export type OpenApiSchema = Record<string, unknown>;

/**
 * The OpenAPI 3.0 schema of a zod schema: `input` for what a client sends (defaults are
 * optional), `output` for what it receives.
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): OpenApiSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as OpenApiSchema;
  return json;
}
