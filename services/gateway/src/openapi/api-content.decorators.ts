import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { z } from 'zod';
import { ERROR_REF } from './openapi.document';
import { openApiSchema } from './zod-json-schema';

/** Raw bytes, as OpenAPI 3.0 writes them. */
export const BINARY_SCHEMA = { type: 'string', format: 'binary' };
const MULTIPART = 'multipart/form-data';
const MULTIPART_FILE_SCHEMA = {
  type: 'object',
  properties: { file: { ...BINARY_SCHEMA, description: 'The file part: any field name, with a filename' } },
  required: ['file'],
};

/** Response headers as `name → description`, all strings. */
type HeaderDocs = Record<string, string>;
const headerObjects = (headers: HeaderDocs) =>
  Object.fromEntries(Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));

/**
 * Documents a request body of raw bytes under each media type (`*\/*` for any); under
 * multipart/form-data, a form with one file part.
 */
export function apiBinaryBody(mediaTypes: string[], description: string): MethodDecorator {
  const content = Object.fromEntries(mediaTypes.map((type) => [type, { schema: type === MULTIPART ? MULTIPART_FILE_SCHEMA : BINARY_SCHEMA }]));
  // ApiOperation, not ApiBody: ApiBody gives every media type the same schema. `summary: undefined` drops the empty default.
  return ApiOperation({ summary: undefined, requestBody: { required: true, description, content } });
}

/** Documents an answer whose body is raw bytes of the given media type, with the headers it carries. */
export function apiBinaryResponse(status: number, mediaType: string, description: string, headers: HeaderDocs = {}): MethodDecorator {
  return ApiResponse({ status, description, headers: headerObjects(headers), content: { [mediaType]: { schema: BINARY_SCHEMA } } });
}

/** Documents an answer of JSON, or of raw bytes of `binaryType` when the client's Accept header asks for that type. */
export function apiJsonOrBinaryResponse(status: number, schema: z.ZodType, binaryType: string, description: string, headers: HeaderDocs = {}): MethodDecorator {
  const content = { 'application/json': { schema: openApiSchema(schema) }, [binaryType]: { schema: BINARY_SCHEMA } };
  return ApiResponse({ status, description, headers: headerObjects(headers), content });
}

/** Documents an answer whose body is text of the given media type (a stream of frames, an exposition), described in prose. */
export function apiTextResponse(status: number, mediaType: string, description: string, headers: HeaderDocs = {}): MethodDecorator {
  return ApiResponse({ status, description, headers: headerObjects(headers), content: { [mediaType]: { schema: { type: 'string' } } } });
}

/** Documents an error answer (the one error shape) that carries headers of its own. */
export function apiErrorResponse(status: number, description: string, headers: HeaderDocs = {}): MethodDecorator {
  return ApiResponse({ status, description, headers: headerObjects(headers), content: { 'application/json': { schema: ERROR_REF } } });
}
