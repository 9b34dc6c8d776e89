import type { EventEnvelope, ReplyOf, RequestOf, RequestSubject, SocketHealth } from '@plugboard/contracts';

export interface RequestOptions {
  /** Deadline for the reply; past it the call rejects with `BusError` code `BUS_TIMEOUT`. */
  timeoutMs?: number;
  /** Wire subject when it differs from the map key, e.g. `wa.session.<id>.start` for `wa.session.start`. */
  subject?: string;
}

export interface GatherOptions {
  /** Collect replies until this deadline. */
  timeoutMs: number;
  /** Stop early once this many replies arrived. */
  expected?: number;
  /** Wire subject when it differs from the map key. */
  subject?: string;
}

export interface HandleOptions {
  /** Queue group: each request goes to one member of the group. Omit for every subscriber. */
  queue?: string;
  /** Wire subject (may hold `*`/`>`) when it differs from the map key. */
  subject?: string;
}

export interface MessageContext {
  subject: string;
}

export interface BusSubscription {
  unsubscribe(): Promise<void>;
}

export interface EventSubscribeOptions {
  /** Subject filter inside the events stream; default `wa.events.>`. */
  filter?: string;
  /** Replay from this stream sequence (inclusive). */
  fromSequence?: number;
  /** Replay from this time (inclusive). Without `fromSequence`/`fromTime`: only new events. */
  fromTime?: Date;
}

export interface EventMeta {
  /** Position in the events stream; resume with `fromSequence: seq + 1`. */
  seq: number;
  subject: string;
}

export interface EventStreamBounds {
  /** Sequence of the oldest event still kept; `lastSeq + 1` while the stream holds none. */
  firstSeq: number;
  /** Sequence of the newest event stored; 0 before the first. */
  lastSeq: number;
}

export type BusState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/**
 * The bus socket: request-reply, scatter-gather, publish/subscribe with `*`/`>` wildcards,
 * and a replayable event stream for `wa.events.>`. Plugs: in-process and NATS (+ JetStream).
 * Requests and replies are validated against `SubjectMap` on arrival.
 */
export abstract class BusPort {
  /** Which plug this is (`memory` or `nats`), for health and logs. */
  abstract readonly plug: string;

  /** Connects (and, on NATS, makes sure the events stream exists). Idempotent. */
  abstract connect(): Promise<void>;

  /** One request, one reply; rejects with a typed `BusError` on timeout, no responders or a remote error. */
  abstract request<S extends RequestSubject>(subject: S, payload: RequestOf<S>, options?: RequestOptions): Promise<ReplyOf<S>>;

  /** Scatter-gather: every responder's reply until the deadline (or `expected` replies). Never rejects on silence. */
  abstract gather<S extends RequestSubject>(subject: S, payload: RequestOf<S>, options: GatherOptions): Promise<ReplyOf<S>[]>;

  /**
   * Answers requests on a subject. The request is validated first: a malformed one gets a
   * `VALIDATION_FAILED` error reply and is logged once, and the handler is not called.
   * A thrown error with a `code` is sent back as that code.
   */
  abstract handle<S extends RequestSubject>(
    subject: S,
    handler: (payload: RequestOf<S>, context: MessageContext) => Promise<ReplyOf<S>> | ReplyOf<S>,
    options?: HandleOptions,
  ): Promise<BusSubscription>;

  /** Fire-and-forget publish of a JSON payload (no persistence). */
  abstract publish(subject: string, data: unknown): Promise<void>;

  /** Subscribes to a subject pattern with `*`/`>` wildcards, optionally as a queue group. */
  abstract subscribe(
    pattern: string,
    handler: (data: unknown, context: MessageContext) => Promise<void> | void,
    options?: { queue?: string },
  ): Promise<BusSubscription>;

  /** Publishes an event durably (JetStream on NATS) and resolves once it is stored; returns its sequence. */
  abstract publishEvent(event: EventEnvelope): Promise<number>;

  /** Delivers events in stream order, replaying from a sequence or a time when asked. */
  abstract subscribeEvents(
    options: EventSubscribeOptions,
    handler: (event: EventEnvelope, meta: EventMeta) => Promise<void> | void,
  ): Promise<BusSubscription>;

  /** The sequences the events stream holds right now: a resume point outside them was dropped or belongs to a restarted stream. */
  abstract eventBounds(): Promise<EventStreamBounds>;

  /** Connection state right now. */
  abstract state(): BusState;

  /** A live probe (round trip to the server on NATS) for health. */
  abstract health(): Promise<SocketHealth>;

  /** Drains subscriptions and closes the connection. */
  abstract close(): Promise<void>;
}
