import type { FastifyInstance } from 'fastify';
import type { MetricsService } from './metrics.service';

export const HTTP_REQUEST_DURATION = {
  name: 'plugboard_http_request_duration_seconds',
  help: 'HTTP requests answered, by route pattern, method and status, with their duration in seconds',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
};

/** Route label of requests no route matched: raw URLs would give every scanner its own series. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Times every answered request of a service's HTTP server, labelled by its route pattern (never the raw URL). */
export function installHttpMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  const histogram = metrics.histogram(HTTP_REQUEST_DURATION);
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    histogram.observe({ route, method: request.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}
