import { type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type RequestContext, requestContext, requestIdFrom, withRequest } from '../logging/request-context';
import { tracingState } from './tracing-setup';

/** Probed every few seconds by orchestrators and scrapers: request ids yes, spans no. */
const UNTRACED_PATH = /^\/(health(\/|$)|metrics$)/;
/** Routes about one session name it in their log lines. */
const SESSION_ROUTE = /\/sessions\/:(id|sessionId)(\/|$)/;

interface RequestState {
  store: RequestContext;
  /** The request's context (its id and span), entered again where the async flow lost it (stream events of body parsing). */
  active: Context;
  span?: Span;
}

const tracer = trace.getTracer('@plugboard/service-kit');

/** Where a request keeps its state: a decorated property, cheaper per request than a WeakMap entry. */
const STATE = Symbol('plugboard.requestTracing');
type TracedRequest = FastifyRequest & { [STATE]: RequestState | null };

export interface RequestTracingOptions {
  service: string;
  /** Writes the one debug line per answered request. */
  logDebug?: (message: string) => void;
  /** Whether that line would be written at all; asked first, so a quiet server does not build it. */
  isDebugEnabled?: () => boolean;
}

/**
 * Gives every HTTP request a request id (the caller's `X-Request-Id` when sane, echoed in the
 * response) and a server span continuing an incoming `traceparent`, both active for
 * everything the request runs, so its log lines and outgoing messages carry them.
 */
export function installRequestTracing(fastify: FastifyInstance, options: RequestTracingOptions): void {
  const { logDebug, isDebugEnabled = () => true } = options;
  fastify.decorateRequest(STATE, null);
  const stateOf = (request: FastifyRequest) => (request as TracedRequest)[STATE];

  fastify.addHook('onRequest', (request, reply, done) => {
    const store: RequestContext = { requestId: requestIdFrom(request.headers['x-request-id']) };
    void reply.header('x-request-id', store.requestId);
    const path = request.url.split('?', 1)[0];
    let active = ROOT_CONTEXT;
    let span: Span | undefined;
    if (!UNTRACED_PATH.test(path)) {
      // The W3C propagator reads nothing else: without the header there is no parent to continue.
      const parent = request.headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, request.headers);
      // Not exporting, the sampler records nothing and ignores attributes: spare building and sanitizing them.
      const attributes = tracingState()?.exporting
        ? { [ATTR_HTTP_REQUEST_METHOD]: request.method, [ATTR_URL_PATH]: path, 'plugboard.service': options.service }
        : undefined;
      span = tracer.startSpan(request.method, { kind: SpanKind.SERVER, attributes }, parent);
      active = trace.setSpan(parent, span);
    }
    // One context for both: the request (its id) and the trace.
    const state: RequestState = { store, span, active: withRequest(active, store) };
    (request as TracedRequest)[STATE] = state;
    context.with(state.active, done);
  });

  fastify.addHook('preValidation', (request, _reply, done) => {
    const state = stateOf(request);
    if (!state) return done();
    const route = request.routeOptions.url;
    if (route && SESSION_ROUTE.test(route)) {
      const params = request.params as Record<string, unknown> | undefined;
      const sessionId = params?.id ?? params?.sessionId;
      if (typeof sessionId === 'string') {
        state.store.sessionId = sessionId;
        state.span?.setAttribute('plugboard.session_id', sessionId);
      }
    }
    if (requestContext.getStore() === state.store) done();
    else context.with(state.active, done);
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    const state = stateOf(request);
    // A span recording nothing (not exporting, or not sampled) needs no name, attributes or end.
    if (state?.span?.isRecording()) {
      const route = request.routeOptions.url;
      if (route) {
        state.span.updateName(`${request.method} ${route}`);
        state.span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      state.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
      if (reply.statusCode >= 500) state.span.setStatus({ code: SpanStatusCode.ERROR });
      state.span.end();
    }
    if (state && logDebug && isDebugEnabled() && !UNTRACED_PATH.test(request.url.split('?', 1)[0])) {
      // Logged inside the request's scope, so the line carries its request and trace ids.
      context.with(state.active, () =>
        logDebug(`${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]} ${reply.statusCode} in ${Math.round(reply.elapsedTime)} ms`),
      );
    }
    (request as TracedRequest)[STATE] = null;
    done();
  });

  fastify.addHook('onRequestAbort', (request, done) => {
    const state = stateOf(request);
    state?.span?.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the request' });
    state?.span?.end();
    (request as TracedRequest)[STATE] = null;
    done();
  });
}
