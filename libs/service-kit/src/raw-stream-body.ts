import type { FastifyInstance, FastifyRequest } from 'fastify';

const STREAM_TYPE = 'application/x-plugboard-stream';
const originalTypes = new WeakMap<object, string | undefined>();

/**
 * Lets the routes `routes` (`METHOD /url` as declared) read their body as the raw request
 * stream, whatever its Content-Type: their requests are routed to a pass-through parser, so
 * Fastify neither buffers them (JSON, text) nor refuses them (any other type). Other routes
 * keep their normal parsers.
 */
export function installRawStreamBody(fastify: FastifyInstance, routes: string[]): void {
  const wanted = new Set(routes);
  fastify.addContentTypeParser(STREAM_TYPE, (_request, payload, done) => done(null, payload));
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (wanted.has(`${request.method} ${request.routeOptions.url}`)) {
      originalTypes.set(request.raw, request.headers['content-type']);
      request.headers['content-type'] = STREAM_TYPE;
    }
    done();
  });
}

/** The Content-Type the client sent, for a route whose body is the raw stream. */
export function originalContentType(request: FastifyRequest): string | undefined {
  return originalTypes.has(request.raw) ? originalTypes.get(request.raw) : request.headers['content-type'];
}
