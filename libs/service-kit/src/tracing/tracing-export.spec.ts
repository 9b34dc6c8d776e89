import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { startTracing } from './tracing-setup';

interface ExportedSpan {
  name: string;
  traceId: string;
}

/** A stand-in OTLP/HTTP collector on 127.0.0.1 that keeps the JSON bodies posted to /v1/traces. */
async function setup() {
  const bodies: Array<{ path: string; body: string }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const sut = startTracing({ serviceName: 'gateway', version: '1.2.3', instanceId: 'gateway-1', endpoint });
  const spans = () =>
    bodies.flatMap(({ body }) => {
      const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; traceId: string }> }> }> };
      return parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ name: span.name, traceId: span.traceId }) as ExportedSpan)));
    });
  return { sut, mocks: { bodies }, spans, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('tracing with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('exports recorded spans over OTLP/HTTP to <endpoint>/v1/traces', async () => {
    const { sut, mocks, spans, close } = await setup();
    try {
      expect(sut.exporting).toBe(true);
      const tracer = trace.getTracer('export-test');
      const parent = tracer.startSpan('send');
      const traceId = parent.spanContext().traceId;
      context.with(trace.setSpan(context.active(), parent), () => tracer.startSpan('child').end());
      parent.end();
      await sut.flush();
      expect(mocks.bodies.map((b) => b.path)).toContain('/v1/traces');
      expect(spans()).toEqual(expect.arrayContaining([{ name: 'send', traceId }, { name: 'child', traceId }]));
    } finally {
      await close();
    }
  });
});
