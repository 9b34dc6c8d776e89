import type { TraceCarrier } from '../tracing/message-tracing';

/** One stored event: its bytes as published, and what replay needs to find it. */
export interface StoredEvent {
  seq: number;
  id: string;
  subject: string;
  occurredAtMs: number;
  data: Uint8Array;
  /** Trace context of the publisher, kept beside the bytes as NATS keeps it in headers. */
  trace?: TraceCarrier;
}

/**
 * The in-process event stream: a ring buffer keeping the last `capacity` events with
 * sequence numbers from 1, de-duplicated by event id like JetStream's `msgID`.
 */
export class MemoryEventLog {
  private readonly ring: Array<StoredEvent | undefined>;
  private readonly seqById = new Map<string, number>();
  private last = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event log capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<StoredEvent | undefined>(capacity);
  }

  /** Sequence of the newest event (0 when empty). */
  get lastSeq(): number {
    return this.last;
  }

  /** Sequence of the oldest event still kept. */
  get firstSeq(): number {
    return Math.max(1, this.last - this.capacity + 1);
  }

  /** Stores an event and returns its sequence; an id seen before returns the first sequence instead. */
  append(event: Omit<StoredEvent, 'seq'>): number {
    const known = this.seqById.get(event.id);
    if (known !== undefined) return known;
    const seq = ++this.last;
    const slot = (seq - 1) % this.capacity;
    const evicted = this.ring[slot];
    if (evicted) this.seqById.delete(evicted.id);
    this.ring[slot] = { ...event, seq };
    this.seqById.set(event.id, seq);
    return seq;
  }

  /** The event at `seq`, or undefined when it was evicted or does not exist yet. */
  get(seq: number): StoredEvent | undefined {
    if (seq < this.firstSeq || seq > this.last) return undefined;
    return this.ring[(seq - 1) % this.capacity];
  }

  /** First sequence whose event occurred at or after `timeMs`; `lastSeq + 1` when none did. */
  seqAtTime(timeMs: number): number {
    for (let seq = this.firstSeq; seq <= this.last; seq++) {
      if ((this.get(seq)?.occurredAtMs ?? -Infinity) >= timeMs) return seq;
    }
    return this.last + 1;
  }
}
