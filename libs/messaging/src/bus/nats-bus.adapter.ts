import {
  EVENTS_SUBJECT_ALL,
  EventEnvelope,
  ReplyOf,
  RequestOf,
  RequestSubject,
  SocketHealth,
  eventSubject,
} from '@plugboard/contracts';
import {
  DebugEvents,
  DeliverPolicy,
  ErrorCode as NatsErrorCode,
  Events,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
  MsgHdrs,
  NatsError,
  NatsConnection,
  OrderedConsumerOptions,
  RetentionPolicy,
  StorageType,
  StreamState,
  connect,
  createInbox,
  headers as createHeaders,
  nanos,
} from 'nats';
import { decodeJson, decodeReply, encodeJson, validateEvent } from './bus-codec';
import { createListener, createResponder } from './bus-handlers';
import { BusLogger, consoleBusLogger, errorMessage } from './bus-logger';
import { BusError } from './bus.errors';
import {
  BusPort,
  BusState,
  BusSubscription,
  EventMeta,
  EventStreamBounds,
  EventSubscribeOptions,
  GatherOptions,
  HandleOptions,
  MessageContext,
  RequestOptions,
} from './bus.port';
import {
  SpanKind,
  eventSpanOptions,
  extractTraceCarrier,
  inSpan,
  injectTraceCarrier,
  isTracedSubject,
} from '../tracing/message-tracing';

export interface NatsBusOptions {
  servers: string[];
  /** Connection name shown by the server (service name + instance). */
  name: string;
  /** Default request deadline. */
  requestTimeoutMs: number;
  /** JetStream stream that stores `wa.events.>`. */
  eventsStream: string;
  /** How long the stream keeps events; 0 keeps them until `eventsMaxBytes`. */
  eventsMaxAgeMs: number;
  /** Size cap of the stream (oldest dropped first); unlimited when omitted. */
  eventsMaxBytes?: number;
  /**
   * Prepended (with a dot) to every wire subject, so several isolated buses can share one
   * server, e.g. parallel test files. Empty in production: external programs rely on `wa.events.>`.
   */
  subjectPrefix?: string;
  logger?: BusLogger;
}

const HEALTH_PROBE_TIMEOUT_MS = 1_000;
/** Publishes handed to the client at once at most (see `publish`). */
const OUTBOX_SLICE = 256;
const PUBLISHED: Promise<void> = Promise.resolve();
const JETSTREAM_DUPLICATE_WINDOW_MS = 120_000;
const STREAM_NAME_IN_USE = 10058;

/**
 * The bus on NATS: core request-reply and pub/sub with queue groups, and a JetStream
 * stream for replayable events. It reconnects forever and reports the gap in `state()`
 * and `health()`; subscriptions and ordered consumers resume by themselves.
 */
export class NatsBusAdapter extends BusPort {
  readonly plug = 'nats';
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private connecting?: Promise<void>;
  private current: BusState = 'connecting';
  private readonly logger: BusLogger;
  private readonly prefix: string;
  /** Published subject, payload and headers, in threes, waiting for the next hand-off to the client. */
  private readonly outbox: Array<string | Uint8Array | MsgHdrs | undefined> = [];

  constructor(private readonly options: NatsBusOptions) {
    super();
    this.logger = options.logger ?? consoleBusLogger;
    this.prefix = options.subjectPrefix ? `${options.subjectPrefix}.` : '';
  }

  /** Connects (waiting for a first server if none is up yet) and makes sure the events stream exists. */
  connect(): Promise<void> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** `nc.request` with a deadline; NATS errors become `BUS_TIMEOUT` / `BUS_NO_RESPONDERS` / `BUS_UNAVAILABLE`. */
  async request<S extends RequestSubject>(subject: S, payload: RequestOf<S>, options: RequestOptions = {}): Promise<ReplyOf<S>> {
    const wire = options.subject ?? subject;
    if (!isTracedSubject(subject)) return this.untracedRequest(subject, wire, payload, options);
    return inSpan(`bus request ${subject}`, { kind: SpanKind.CLIENT, attributes: { 'messaging.destination.name': wire } }, () =>
      this.untracedRequest(subject, wire, payload, options),
    );
  }

  private async untracedRequest<S extends RequestSubject>(subject: S, wire: string, payload: RequestOf<S>, options: RequestOptions): Promise<ReplyOf<S>> {
    const timeout = options.timeoutMs ?? this.options.requestTimeoutMs;
    const nc = this.writer(wire);
    let data: Uint8Array;
    try {
      ({ data } = await nc.request(this.prefix + wire, encodeJson(payload), { timeout, headers: traceHeaders() }));
    } catch (error) {
      throw toBusError(error, wire, timeout);
    }
    return decodeReply(subject, data, wire);
  }

  /** Publishes once with a private inbox as reply subject and collects valid replies until the deadline or `expected`. */
  async gather<S extends RequestSubject>(subject: S, payload: RequestOf<S>, options: GatherOptions): Promise<ReplyOf<S>[]> {
    const wire = options.subject ?? subject;
    const nc = this.writer(wire);
    const inbox = createInbox();
    const replies: ReplyOf<S>[] = [];
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.safely(() => sub.unsubscribe());
        resolve(replies);
      };
      const timer = setTimeout(finish, options.timeoutMs);
      const sub = nc.subscribe(inbox, {
        callback: (error, msg) => {
          // An empty 503 status message: nobody listens on the subject, so nothing will come.
          if (error || (msg.data.length === 0 && msg.headers?.status === NatsErrorCode.NoResponders)) return finish();
          try {
            replies.push(decodeReply(subject, msg.data, wire));
          } catch (failure) {
            this.logger.warn(`bus: gather on "${wire}" skipped a reply: ${errorMessage(failure)}`);
          }
          if (options.expected !== undefined && replies.length >= options.expected) finish();
        },
      });
      try {
        nc.publish(this.prefix + wire, encodeJson(payload), { reply: inbox, headers: traceHeaders() });
      } catch (error) {
        done = true;
        clearTimeout(timer);
        sub.unsubscribe();
        reject(toBusError(error, wire, options.timeoutMs));
      }
    });
  }

  /** Subscribes (optionally in a queue group) and answers each request with a reply envelope. */
  async handle<S extends RequestSubject>(
    subject: S,
    handler: (payload: RequestOf<S>, context: MessageContext) => Promise<ReplyOf<S>> | ReplyOf<S>,
    options: HandleOptions = {},
  ): Promise<BusSubscription> {
    const pattern = options.subject ?? subject;
    const nc = this.writer(pattern);
    const respond = createResponder(subject, pattern, handler, this.logger);
    const wildcard = hasWildcard(pattern);
    const traced = isTracedSubject(subject);
    const sub = nc.subscribe(this.prefix + pattern, {
      queue: options.queue,
      callback: (error, msg) => {
        if (error) return this.logger.error(`bus: subscription "${pattern}" failed: ${errorMessage(error)}`);
        const wireSubject = wildcard ? this.unwire(msg.subject) : pattern;
        // A publish without reply subject is served but has nobody to answer.
        const send = (reply: Uint8Array) => msg.reply && this.safely(() => (this.flushOutbox(), msg.respond(reply)));
        const answer = () => {
          const reply = respond(msg.data, wireSubject);
          if (reply instanceof Uint8Array) send(reply);
          else return reply.then(send);
        };
        if (!traced) return void answer();
        const parent = extractTraceCarrier(carrierOf(msg.headers));
        void inSpan(`bus handle ${subject}`, { kind: SpanKind.SERVER, parent, attributes: { 'messaging.destination.name': wireSubject } }, answer);
      },
    });
    return { unsubscribe: async () => this.safely(() => sub.unsubscribe()) };
  }

  /**
   * Core NATS publish: at most once, not stored. Publishes are handed to the client together
   * once the current burst of work ends (`nextTick`): the client flushes its socket on a
   * microtask after every first write, so a loop of awaited publishes would otherwise pay one
   * socket write per message. Any other operation hands them over first, so order holds.
   */
  publish(subject: string, data: unknown): Promise<void> {
    try {
      this.connection(subject);
      const bytes = encodeJson(data);
      if (this.outbox.length === 0) process.nextTick(this.flushOutbox);
      this.outbox.push(this.prefix + subject, bytes, traceHeaders());
      // A long burst (a loop awaiting each publish never lets nextTick run) is handed over in
      // slices: the client still writes its socket once per slice, and the outbox stays small.
      if (this.outbox.length >= OUTBOX_SLICE * 3) this.flushOutbox();
      // Not an async function: one shared settled promise instead of a new one per message.
      return PUBLISHED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Core NATS subscription with wildcards; handler errors are logged and the subscription stays. */
  async subscribe(
    pattern: string,
    handler: (data: unknown, context: MessageContext) => Promise<void> | void,
    options: { queue?: string } = {},
  ): Promise<BusSubscription> {
    const listen = createListener(pattern, handler, this.logger);
    const wildcard = hasWildcard(pattern);
    // Made once, not per message: a subscription may take hundreds of thousands a second.
    const spanName = `bus receive ${pattern}`;
    const patternAttributes = { 'messaging.destination.name': pattern };
    const sub = this.writer(pattern).subscribe(this.prefix + pattern, {
      queue: options.queue,
      callback: (error, msg) => {
        if (error) return this.logger.error(`bus: subscription "${pattern}" failed: ${errorMessage(error)}`);
        const wireSubject = wildcard ? this.unwire(msg.subject) : pattern;
        const parent = extractTraceCarrier(carrierOf(msg.headers));
        const attributes = wildcard ? { 'messaging.destination.name': wireSubject } : patternAttributes;
        inSpan(spanName, { kind: SpanKind.CONSUMER, parent, attributes }, () => listen(msg.data, wireSubject));
      },
    });
    return { unsubscribe: async () => this.safely(() => sub.unsubscribe()) };
  }

  /** Stores the event in JetStream, de-duplicated by its id (`msgID`), and returns its stream sequence. */
  async publishEvent(event: EventEnvelope): Promise<number> {
    const valid = validateEvent(event);
    const subject = eventSubject(valid.sessionId, valid.type);
    const js = this.jetstream(subject);
    this.flushOutbox();
    const timeout = this.options.requestTimeoutMs;
    return inSpan(`event publish ${valid.type}`, eventSpanOptions(SpanKind.PRODUCER, valid.id, subject, valid.sessionId), async () => {
      try {
        const ack = await js.publish(this.prefix + subject, encodeJson(valid), { msgID: valid.id, timeout, headers: traceHeaders() });
        return ack.seq;
      } catch (error) {
        throw toBusError(error, subject, timeout);
      }
    });
  }

  /**
   * Follows the stream with an ordered consumer (recreated by the client after a gap or a
   * server restart). Events are handed over one at a time in stream order.
   */
  async subscribeEvents(
    options: EventSubscribeOptions,
    handler: (event: EventEnvelope, meta: EventMeta) => Promise<void> | void,
  ): Promise<BusSubscription> {
    const filter = options.filter ?? EVENTS_SUBJECT_ALL;
    const js = this.jetstream(filter);
    const stream = this.options.eventsStream;
    const consumerOptions: Partial<OrderedConsumerOptions> = { filterSubjects: this.prefix + filter };
    let notBeforeMs = -Infinity;
    if (options.fromSequence !== undefined) {
      consumerOptions.deliver_policy = DeliverPolicy.StartSequence;
      consumerOptions.opt_start_seq = Math.max(1, options.fromSequence);
    } else if (options.fromTime !== undefined) {
      consumerOptions.deliver_policy = DeliverPolicy.StartTime;
      consumerOptions.opt_start_time = options.fromTime.toISOString();
      notBeforeMs = options.fromTime.getTime();
    } else {
      // "New" as an explicit start sequence: a consumer the client recreates before the
      // first event then resumes here instead of replaying the whole stream.
      consumerOptions.deliver_policy = DeliverPolicy.StartSequence;
      consumerOptions.opt_start_seq = (await this.streamState(filter)).last_seq + 1;
    }
    let consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>;
    let messages: Awaited<ReturnType<typeof consumer.consume>>;
    try {
      consumer = await js.consumers.get(stream, consumerOptions);
      // Short pull expiry: heartbeats come every 2.5 s, so a lost server is noticed quickly.
      messages = await consumer.consume({ max_messages: 256, expires: 5_000 });
    } catch (error) {
      throw toBusError(error, filter, this.options.requestTimeoutMs);
    }
    const run = (async () => {
      for await (const msg of messages) {
        // A consumer recreated before its first delivery starts over at the stream's beginning.
        if (msg.info.timestampNanos / 1e6 < notBeforeMs) continue;
        await this.deliverEvent(msg, handler);
      }
    })().catch((error: unknown) => this.logger.error(`bus: event subscription on "${filter}" ended: ${errorMessage(error)}`));
    return {
      unsubscribe: async () => {
        messages.stop();
        await run;
        await consumer.delete().catch(() => undefined);
      },
    };
  }

  /** From the JetStream stream info; retention (EVENTS_RETENTION, EVENTS_MAX_BYTES) moves `firstSeq` on. */
  async eventBounds(): Promise<EventStreamBounds> {
    const state = await this.streamState(EVENTS_SUBJECT_ALL);
    // An empty stream reports first_seq 0 (never written) or last_seq + 1 (everything removed).
    return { firstSeq: state.messages === 0 ? state.last_seq + 1 : state.first_seq, lastSeq: state.last_seq };
  }

  state(): BusState {
    return this.current;
  }

  /** A round trip to the server; reconnecting or closed is `down` with the reason. */
  async health(): Promise<SocketHealth> {
    const base = { socket: 'bus', plug: this.plug };
    const nc = this.nc;
    if (!nc || this.current === 'closed' || this.current === 'connecting') {
      return { ...base, status: 'down', detail: nc ? this.current : 'not connected' };
    }
    if (this.current === 'reconnecting') {
      return { ...base, status: 'down', detail: `reconnecting to ${this.options.servers.join(', ')}` };
    }
    try {
      const latencyMs = await withTimeout(nc.rtt(), HEALTH_PROBE_TIMEOUT_MS, 'no pong');
      return { ...base, status: 'up', latencyMs };
    } catch (error) {
      return { ...base, status: 'down', detail: errorMessage(error) };
    }
  }

  /** Drains: in-flight handlers finish and buffered publishes are flushed, then the connection closes. */
  async close(): Promise<void> {
    const nc = this.nc;
    this.flushOutbox();
    this.current = 'closed';
    if (!nc || nc.isClosed()) return;
    if (nc.isDraining()) return void (await nc.closed());
    await nc.drain().catch(() => nc.close());
  }

  private async open(): Promise<void> {
    const { servers, name } = this.options;
    // noAsyncTraces: the client would capture a stack (two Error objects) on every request and
    // publish to JetStream only to append it to a timeout's trace; our errors name the subject
    // and the deadline instead (toBusError). Without it the bus bench's requests per second doubled.
    const nc = await connect({ servers, name, maxReconnectAttempts: -1, waitOnFirstConnect: true, reconnectTimeWait: 500, noAsyncTraces: true });
    try {
      this.nc = nc;
      this.current = 'connected';
      void this.watch(nc);
      this.jsm = await nc.jetstreamManager();
      await this.ensureStream(this.jsm);
      this.js = nc.jetstream();
    } catch (error) {
      this.current = 'closed';
      await nc.close();
      throw error;
    }
  }

  /** Keeps `state()` current from the connection's status events. */
  private async watch(nc: NatsConnection): Promise<void> {
    void nc.closed().then(() => {
      this.current = 'closed';
    });
    for await (const status of nc.status()) {
      if (this.current === 'closed') return;
      if (status.type === Events.Disconnect || status.type === DebugEvents.Reconnecting) {
        if (this.current !== 'reconnecting') this.logger.warn(`bus: lost NATS (${String(status.data)}), reconnecting`);
        this.current = 'reconnecting';
      } else if (status.type === Events.Reconnect) {
        this.current = 'connected';
        this.logger.log(`bus: reconnected to NATS ${String(status.data)}`);
      }
    }
  }

  /** Creates the events stream, or updates its subjects and limits when it already exists. */
  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    const { eventsStream: name, eventsMaxAgeMs, eventsMaxBytes } = this.options;
    const limits = {
      subjects: [this.prefix + EVENTS_SUBJECT_ALL],
      max_age: nanos(eventsMaxAgeMs),
      max_bytes: eventsMaxBytes ?? -1,
      // JetStream refuses a de-duplication window longer than the retention.
      duplicate_window: nanos(eventsMaxAgeMs > 0 ? Math.min(JETSTREAM_DUPLICATE_WINDOW_MS, eventsMaxAgeMs) : JETSTREAM_DUPLICATE_WINDOW_MS),
    };
    try {
      await jsm.streams.add({ name, ...limits, storage: StorageType.File, retention: RetentionPolicy.Limits, num_replicas: 1 });
    } catch (error) {
      if (!(error instanceof NatsError) || error.api_error?.err_code !== STREAM_NAME_IN_USE) throw error;
      await jsm.streams.update(name, limits);
    }
  }

  private async deliverEvent(msg: JsMsg, handler: (event: EventEnvelope, meta: EventMeta) => Promise<void> | void): Promise<void> {
    const subject = this.unwire(msg.subject);
    try {
      const event = validateEvent(decodeJson(msg.data, subject), subject) as EventEnvelope;
      const span = eventSpanOptions(SpanKind.CONSUMER, event.id, subject, event.sessionId, extractTraceCarrier(carrierOf(msg.headers)));
      await inSpan(`event receive ${event.type}`, span, () => handler(event, { seq: msg.seq, subject }));
    } catch (error) {
      this.logger.error(`bus: event subscriber failed on seq ${msg.seq} (${subject}): ${errorMessage(error)}`);
    }
  }

  private connection(subject: string): NatsConnection {
    if (!this.nc || this.current === 'connecting') throw BusError.unavailable('connect() was not called', subject);
    if (this.current === 'closed') throw BusError.unavailable('bus is closed', subject);
    return this.nc;
  }

  /** The connection for an operation that writes: pending publishes go out first, in order. */
  private writer(subject: string): NatsConnection {
    const nc = this.connection(subject);
    this.flushOutbox();
    return nc;
  }

  private readonly flushOutbox = (): void => {
    const { nc, outbox } = this;
    if (outbox.length === 0 || !nc) return;
    try {
      for (let i = 0; i < outbox.length; i += 3) {
        const headers = outbox[i + 2] as MsgHdrs | undefined;
        nc.publish(outbox[i] as string, outbox[i + 1] as Uint8Array, headers ? { headers } : undefined);
      }
    } catch (error) {
      this.logger.warn(`bus: published messages dropped: ${errorMessage(error)}`);
    } finally {
      outbox.length = 0;
    }
  };

  private jetstream(subject: string): JetStreamClient {
    this.connection(subject);
    if (!this.js) throw BusError.unavailable('events stream is not ready', subject);
    return this.js;
  }

  private async streamState(subject: string): Promise<StreamState> {
    try {
      return (await this.manager(subject).streams.info(this.options.eventsStream)).state;
    } catch (error) {
      throw toBusError(error, subject, this.options.requestTimeoutMs);
    }
  }

  private manager(subject: string): JetStreamManager {
    this.connection(subject);
    if (!this.jsm) throw BusError.unavailable('events stream is not ready', subject);
    return this.jsm;
  }

  private unwire(subject: string): string {
    return this.prefix ? subject.slice(this.prefix.length) : subject;
  }

  /** Runs a client call whose failure (connection already gone) changes nothing for the caller. */
  private safely(action: () => unknown): void {
    try {
      action();
    } catch (error) {
      this.logger.warn(`bus: ${errorMessage(error)}`);
    }
  }
}

/** NATS headers carrying the active trace context; undefined (no headers at all) outside a trace. */
function traceHeaders(): MsgHdrs | undefined {
  const carrier = injectTraceCarrier();
  if (!carrier) return undefined;
  const headers = createHeaders();
  for (const [name, value] of Object.entries(carrier)) headers.set(name, value);
  return headers;
}

/** The trace context fields of a message's headers, if it has any. */
function carrierOf(headers: MsgHdrs | undefined): Record<string, string> | undefined {
  const traceparent = headers?.get('traceparent');
  if (!traceparent) return undefined;
  const tracestate = headers?.get('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** Without wildcards the subject of every message is the pattern: reading (decoding) it is skipped. */
function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('>');
}

/** Maps a `nats` client error to the bus error a caller can act on. */
function toBusError(error: unknown, subject: string, timeoutMs: number): BusError {
  if (error instanceof BusError) return error;
  const code = error instanceof NatsError ? error.code : undefined;
  if (code === NatsErrorCode.Timeout || code === NatsErrorCode.JetStream408RequestTimeout) return BusError.timeout(subject, timeoutMs);
  if (code === NatsErrorCode.NoResponders) return BusError.noResponders(subject);
  return BusError.unavailable(errorMessage(error), subject);
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, reason: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${reason} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
