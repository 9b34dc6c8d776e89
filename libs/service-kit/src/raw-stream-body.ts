import type { FastifyInstance, FastifyRequest } from 'fastify';

const STREAM_TYPE = 'application/x-plugboard-stream';
const originalTypes = new WeakMap<object, string | undefined>();

/** Raw-stream routes per Fastify instance: several modules of one app may each add theirs. */
const rawRoutes = new WeakMap<FastifyInstance, Set<string>>();

/**
 * Lets the routes `routes` (`METHOD /url` as declared) read their body as the raw request
 * stream, whatever its Content-Type: their requests are routed to a pass-through parser, so
 * Fastify neither buffers them (JSON, text) nor refuses them (any other type). Other routes
 * keep their normal parsers. May be called once per module: the parser and hook are
 * installed on the first call, later calls only add routes.
 */
export function installRawStreamBody(fastify: FastifyInstance, routes: string[]): void {
  const known = rawRoutes.get(fastify);
  if (known) {
    routes.forEach((route) => known.add(route));
    return;
  }
  const wanted = new Set(routes);
  rawRoutes.set(fastify, wanted);
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
