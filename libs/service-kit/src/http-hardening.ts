import { ErrorCode } from '@plugboard/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseQueryString } from 'node:querystring';
import { ServiceError } from './service-kit.errors';

/**
 * Body parsing every service's HTTP server uses instead of Nest's: JSON and forms up to
 * `bodyLimit` bytes (413 beyond), prototype poisoning refused (Fastify's secure parser), and
 * NUL bytes refused in bodies and URLs — they truncate strings in C libraries and PostgreSQL
 * rejects them in text, so they can only cause trouble further down.
 */
export function hardenHttp(fastify: FastifyInstance, bodyLimit: number): void {
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    json(request, String(body), (error: Error | null, value?: unknown) => {
      if (error) return done(error, undefined);
      if (containsNul(value)) return done(nulError('JSON strings'), undefined);
      done(null, value);
    });
  });
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    const value = parseQueryString(String(body));
    if (containsNul(value)) return done(nulError('form fields'), undefined);
    done(null, value);
  });
  // A callback hook, not an async one: it runs on every request, and a promise per request is not free.
  fastify.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    if (/%00|\0/i.test(request.url)) return done(nulError('the URL'));
    done();
  });
}

/** True when any string (value or key) anywhere in a parsed body holds a NUL character. */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, item]) => key.includes('\0') || containsNul(item));
  }
  return false;
}

function nulError(where: string): ServiceError {
  return new ServiceError(ErrorCode.ValidationFailed, `NUL bytes are not allowed in ${where}`);
}
