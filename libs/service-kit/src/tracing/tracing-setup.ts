import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, AlwaysOnSampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { installOutgoingHttpTracing } from './outgoing-http-tracing';

export interface TracingOptions {
  /** `service.name` of the spans: the service, or `plugboard` for a process running several. */
  serviceName: string;
  version: string;
  instanceId: string;
  /** OTLP/HTTP collector base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); nothing is exported without it. */
  endpoint?: string;
}

export interface TracingState {
  /** True when spans are recorded and exported. */
  readonly exporting: boolean;
  /** Sends the spans ended so far (no-op when not exporting). */
  flush(): Promise<void>;
}

let state: TracingState | undefined;

/**
 * Installs OpenTelemetry for the process, once: the AsyncLocalStorage context manager, the
 * W3C trace-context propagator and a tracer provider. With an endpoint, spans are sampled
 * (following a caller's decision) and exported over OTLP/HTTP in batches. Without one the
 * provider samples nothing: every span still gets real trace and span ids, carried to the
 * other services and written in log lines, but records and exports nothing, which keeps the
 * cost to the id generation and one context switch per span.
 */
export function startTracing(options: TracingOptions): TracingState {
  if (state) return state;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: options.serviceName,
    [ATTR_SERVICE_VERSION]: options.version,
    // Not yet stable in the semantic conventions package, so spelt out.
    'service.instance.id': options.instanceId,
  });
  const endpoint = options.endpoint?.replace(/\/+$/, '');
  const provider = endpoint
    ? new BasicTracerProvider({
        resource,
        sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
        spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
      })
    : new BasicTracerProvider({ resource, sampler: new AlwaysOffSampler() });
  trace.setGlobalTracerProvider(provider);
  installOutgoingHttpTracing();
  state = {
    exporting: endpoint !== undefined,
    flush: () => provider.forceFlush().catch(() => undefined),
  };
  return state;
}

/** The process's tracing, if started. */
export function tracingState(): TracingState | undefined {
  return state;
}
