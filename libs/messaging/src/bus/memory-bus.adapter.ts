import { EventEnvelope, ReplyOf, RequestOf, RequestSubject, SocketHealth, eventSubject } from '@plugboard/contracts';
import { decodeJson, decodeReply, encodeJson, validateEvent } from './bus-codec';
import { Responder, createListener, createResponder } from './bus-handlers';
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
import { MemoryEventLog } from './memory-event-log';
import { compileSubjectPattern } from './subject-match';
import {
  SpanKind,
  type TraceCarrier,
  eventSpanOptions,
  extractTraceCarrier,
  inSpan,
  injectTraceCarrier,
  isTracedSubject,
} from '../tracing/message-tracing';

export interface MemoryBusOptions {
  /** How many events the replay log keeps (oldest dropped first). Default 100 000. */
  maxEvents?: number;
  /** Default request deadline. Default 5 000 ms. */
  requestTimeoutMs?: number;
  logger?: BusLogger;
}

interface WireMessage {
  subject: string;
  data: Uint8Array;
  reply?: (data: Uint8Array) => void;
  /** Trace context carried beside the payload, as the NATS plug carries it in headers. */
  trace?: TraceCarrier;
}

interface Subscriber {
  matches: (subject: string) => boolean;
  queue?: string;
  active: boolean;
  deliver: (message: WireMessage) => void;
}

interface EventReader {
  matches: (subject: string) => boolean;
  cursor: number;
  active: boolean;
  running: boolean;
  handler: (event: EventEnvelope, meta: EventMeta) => Promise<void> | void;
}

const DEFAULT_MAX_EVENTS = 100_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/**
 * The in-process bus of embedded mode. It behaves like the NATS plug on the wire: JSON
 * bytes, NATS subject wildcards, queue groups (round-robin), coded errors, and a bounded
 * event log with replay. Every delivery is deferred, so a publisher never runs a handler
 * inside its own call stack.
 */
export class MemoryBusAdapter extends BusPort {
  readonly plug = 'memory';
  private current: BusState = 'connecting';
  private readonly subscribers = new Set<Subscriber>();
  private readonly queueTurns = new Map<string, number>();
  private readonly events: MemoryEventLog;
  private readonly readers = new Set<EventReader>();
  private readonly requestTimeoutMs: number;
  private readonly logger: BusLogger;

  constructor(options: MemoryBusOptions = {}) {
    super();
    this.events = new MemoryEventLog(options.maxEvents ?? DEFAULT_MAX_EVENTS);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.logger = options.logger ?? consoleBusLogger;
  }

  /** Marks the bus usable; there is nothing to reach. */
  async connect(): Promise<void> {
    if (this.current === 'closed') throw BusError.unavailable('bus is closed');
    this.current = 'connected';
  }

  /** First reply wins; no subscriber at all is `BUS_NO_RESPONDERS`, silence past the deadline `BUS_TIMEOUT`. */
  request<S extends RequestSubject>(subject: S, payload: RequestOf<S>, options: RequestOptions = {}): Promise<ReplyOf<S>> {
    const wire = options.subject ?? subject;
    if (!isTracedSubject(subject)) return this.untracedRequest(subject, wire, payload, options);
    return inSpan(`bus request ${subject}`, { kind: SpanKind.CLIENT, attributes: { 'messaging.destination.name': wire } }, () =>
      this.untracedRequest(subject, wire, payload, options),
    );
  }

  private untracedRequest<S extends RequestSubject>(subject: S, wire: string, payload: RequestOf<S>, options: RequestOptions): Promise<ReplyOf<S>> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      this.assertOpen(wire);
      const data = encodeJson(payload);
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(BusError.timeout(wire, timeoutMs));
      }, timeoutMs);
      const reply = (data: Uint8Array) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          resolve(decodeReply(subject, data, wire));
        } catch (error) {
          reject(error);
        }
      };
      if (this.dispatch({ subject: wire, data, reply, trace: injectTraceCarrier() }) === 0) {
        settled = true;
        clearTimeout(timer);
        reject(BusError.noResponders(wire));
      }
    });
  }

  /** Collects valid replies until the deadline or `expected`; error replies are logged and skipped. */
  gather<S extends RequestSubject>(subject: S, payload: RequestOf<S>, options: GatherOptions): Promise<ReplyOf<S>[]> {
    const wire = options.subject ?? subject;
    const replies: ReplyOf<S>[] = [];
    return new Promise((resolve) => {
      this.assertOpen(wire);
      const data = encodeJson(payload);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(replies);
      };
      const timer = setTimeout(finish, options.timeoutMs);
      const reply = (data: Uint8Array) => {
        if (done) return;
        try {
          replies.push(decodeReply(subject, data, wire));
        } catch (error) {
          this.logger.warn(`bus: gather on "${wire}" skipped a reply: ${errorMessage(error)}`);
        }
        if (options.expected !== undefined && replies.length >= options.expected) finish();
      };
      if (this.dispatch({ subject: wire, data, reply, trace: injectTraceCarrier() }) === 0) finish();
    });
  }

  /** Registers a responder; see `BusPort.handle` for validation and error replies. */
  async handle<S extends RequestSubject>(
    subject: S,
    handler: (payload: RequestOf<S>, context: MessageContext) => Promise<ReplyOf<S>> | ReplyOf<S>,
    options: HandleOptions = {},
  ): Promise<BusSubscription> {
    const pattern = options.subject ?? subject;
    const respond: Responder = createResponder(subject, pattern, handler, this.logger);
    const traced = isTracedSubject(subject);
    return this.addSubscriber(pattern, options.queue, (message) => {
      const answer = () => void Promise.resolve(respond(message.data, message.subject)).then((data) => message.reply?.(data));
      if (!traced) return answer();
      const attributes = { 'messaging.destination.name': message.subject };
      inSpan(`bus handle ${subject}`, { kind: SpanKind.SERVER, parent: extractTraceCarrier(message.trace), attributes }, answer);
    });
  }

  /** Delivers a copy of `data` (through JSON, as on the wire) to every matching subscriber. */
  async publish(subject: string, data: unknown): Promise<void> {
    this.assertOpen(subject);
    this.dispatch({ subject, data: encodeJson(data), trace: injectTraceCarrier() });
  }

  /** Subscribes with NATS wildcards; handler errors are logged and the subscription stays. */
  async subscribe(
    pattern: string,
    handler: (data: unknown, context: MessageContext) => Promise<void> | void,
    options: { queue?: string } = {},
  ): Promise<BusSubscription> {
    const listen = createListener(pattern, handler, this.logger);
    return this.addSubscriber(pattern, options.queue, (message) =>
      inSpan(
        `bus receive ${pattern}`,
        { kind: SpanKind.CONSUMER, parent: extractTraceCarrier(message.trace), attributes: { 'messaging.destination.name': message.subject } },
        () => listen(message.data, message.subject),
      ),
    );
  }

  /** Appends to the in-memory log (de-duplicated by event id) and wakes the readers. */
  async publishEvent(event: EventEnvelope): Promise<number> {
    const valid = validateEvent(event);
    const subject = eventSubject(valid.sessionId, valid.type);
    this.assertOpen(subject);
    return inSpan(`event publish ${valid.type}`, eventSpanOptions(SpanKind.PRODUCER, valid.id, subject, valid.sessionId), () => {
      const stored = { id: valid.id, subject, occurredAtMs: Date.parse(valid.occurredAt), data: encodeJson(valid), trace: injectTraceCarrier() };
      const seq = this.events.append(stored);
      for (const reader of this.readers) this.pump(reader);
      return seq;
    });
  }

  /** Replays from a sequence or from the first event that occurred at/after `fromTime`, then follows. */
  async subscribeEvents(
    options: EventSubscribeOptions,
    handler: (event: EventEnvelope, meta: EventMeta) => Promise<void> | void,
  ): Promise<BusSubscription> {
    this.assertOpen(options.filter);
    const cursor =
      options.fromSequence !== undefined
        ? options.fromSequence
        : options.fromTime !== undefined
          ? this.events.seqAtTime(options.fromTime.getTime())
          : this.events.lastSeq + 1;
    const reader: EventReader = {
      matches: compileSubjectPattern(options.filter ?? 'wa.events.>'),
      cursor,
      active: true,
      running: false,
      handler,
    };
    this.readers.add(reader);
    this.pump(reader);
    return {
      unsubscribe: async () => {
        reader.active = false;
        this.readers.delete(reader);
      },
    };
  }

  /** The log starts again at 1 with each process and keeps the last `maxEvents`. */
  async eventBounds(): Promise<EventStreamBounds> {
    this.assertOpen();
    return { firstSeq: this.events.firstSeq, lastSeq: this.events.lastSeq };
  }

  state(): BusState {
    return this.current;
  }

  /** Up while open: there is no remote side to lose. */
  async health(): Promise<SocketHealth> {
    return this.current === 'closed'
      ? { socket: 'bus', plug: this.plug, status: 'down', detail: 'closed' }
      : { socket: 'bus', plug: this.plug, status: 'up', latencyMs: 0 };
  }

  /** Stops every delivery; pending requests run into their deadline. */
  async close(): Promise<void> {
    this.current = 'closed';
    for (const subscriber of this.subscribers) subscriber.active = false;
    for (const reader of this.readers) reader.active = false;
    this.subscribers.clear();
    this.readers.clear();
  }

  private addSubscriber(pattern: string, queue: string | undefined, deliver: (message: WireMessage) => void): BusSubscription {
    this.assertOpen(pattern);
    const subscriber: Subscriber = { matches: compileSubjectPattern(pattern), queue, active: true, deliver };
    this.subscribers.add(subscriber);
    return {
      unsubscribe: async () => {
        subscriber.active = false;
        this.subscribers.delete(subscriber);
      },
    };
  }

  /** Hands a message to every plain subscriber and one member per queue group; returns how many got it. */
  private dispatch(message: WireMessage): number {
    let delivered = 0;
    let groups: Map<string, Subscriber[]> | undefined;
    for (const subscriber of this.subscribers) {
      if (!subscriber.matches(message.subject)) continue;
      if (subscriber.queue === undefined) {
        this.deliverLater(subscriber, message);
        delivered++;
      } else {
        groups ??= new Map();
        const members = groups.get(subscriber.queue);
        if (members) members.push(subscriber);
        else groups.set(subscriber.queue, [subscriber]);
      }
    }
    if (groups) {
      for (const [queue, members] of groups) {
        const turn = this.queueTurns.get(queue) ?? 0;
        this.queueTurns.set(queue, turn + 1);
        this.deliverLater(members[turn % members.length], message);
        delivered++;
      }
    }
    return delivered;
  }

  // setImmediate, not a microtask: a handler that publishes again cannot starve I/O.
  private deliverLater(subscriber: Subscriber, message: WireMessage): void {
    setImmediate(() => {
      if (subscriber.active) subscriber.deliver(message);
    });
  }

  /** Feeds one reader in order, one event at a time; a handler error is logged and skipped. */
  private pump(reader: EventReader): void {
    if (reader.running || !reader.active) return;
    reader.running = true;
    setImmediate(async () => {
      try {
        while (reader.active && reader.cursor <= this.events.lastSeq) {
          reader.cursor = Math.max(reader.cursor, this.events.firstSeq);
          const stored = this.events.get(reader.cursor++);
          if (!stored || !reader.matches(stored.subject)) continue;
          try {
            const event = decodeJson(stored.data) as EventEnvelope;
            const span = eventSpanOptions(SpanKind.CONSUMER, event.id, stored.subject, event.sessionId, extractTraceCarrier(stored.trace));
            await inSpan(`event receive ${event.type}`, span, () => reader.handler(event, { seq: stored.seq, subject: stored.subject }));
          } catch (error) {
            this.logger.error(`bus: event subscriber failed on seq ${stored.seq}: ${errorMessage(error)}`);
          }
        }
      } finally {
        reader.running = false;
        if (reader.active && reader.cursor <= this.events.lastSeq) this.pump(reader);
      }
    });
  }

  private assertOpen(subject?: string): void {
    if (this.current === 'closed') throw BusError.unavailable('bus is closed', subject);
    if (this.current === 'connecting') throw BusError.unavailable('connect() was not called', subject);
  }
}

