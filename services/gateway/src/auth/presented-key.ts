import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { FastifyRequest } from 'fastify';

/** Query parameters a client might put a key in; refused, because URLs end up in logs and browser history. */
const QUERY_KEY_NAMES = ['apikey', 'api_key', 'api-key', 'key', 'token', 'access_token'];

/**
 * The key a request presents in `X-API-Key` or `Authorization: Bearer`, or undefined.
 * Throws API_KEY_IN_QUERY (400) when the query string carries one, whatever the headers say.
 */
export function presentedKey(request: FastifyRequest): string | undefined {
  const query = request.query;
  if (query && typeof query === 'object' && Object.keys(query).some((name) => QUERY_KEY_NAMES.includes(name.toLowerCase()))) {
    throw new ServiceError(
      ErrorCode.ApiKeyInQuery,
      'API keys are not accepted in the query string: send it in the X-API-Key header or as Authorization: Bearer',
    );
  }
  const header = request.headers['x-api-key'];
  const apiKey = Array.isArray(header) ? header[0] : header;
  if (apiKey) return apiKey;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}
