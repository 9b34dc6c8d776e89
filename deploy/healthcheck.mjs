/* global fetch, AbortSignal */
// Docker HEALTHCHECK: exit 0 when this container's service answers GET /health/live.
// The port follows the service the image was built for, as the services themselves choose it.
const DEFAULT_HTTP_PORTS = { 'session-worker': 3001, 'media-service': 3002, 'infra-admin': 3003 };

const service = process.env.SERVICE ?? 'gateway';
const port =
  service === 'gateway'
    ? process.env.PORT || '3000'
    : process.env.HTTP_PORT || String(DEFAULT_HTTP_PORTS[service]);

try {
  const response = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(4000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
