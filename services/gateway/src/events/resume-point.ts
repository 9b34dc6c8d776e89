import type { EventStreamBounds } from '@plugboard/messaging';

/** The data of an `event: reset` frame: events after `lastEventId` up to `resumeFrom` will not come. */
export interface StreamReset {
  /** `retention`: they were dropped (EVENTS_RETENTION, EVENTS_MAX_BYTES, the in-process log's size); `restarted`: the stream started over. */
  reason: 'retention' | 'restarted';
  /** The Last-Event-ID the client sent. */
  lastEventId: number;
  /** Sequence the stream continues from (the oldest event it still holds, or the next one). */
  resumeFrom: number;
  message: string;
}

export interface ResumePoint {
  /** Subscribe from this sequence (inclusive). */
  fromSequence: number;
  /** Set when the client cannot get every event after its Last-Event-ID. */
  reset?: StreamReset;
}

/**
 * Where a stream resumed with Last-Event-ID continues: right after it while the stream still
 * holds that point; otherwise from the oldest event kept, with a reset to tell the client. A
 * point beyond the newest event means the stream started over (the in-process log begins at 1
 * with each process, a recreated JetStream stream too): all it holds came after the client's
 * last event, so nothing is skipped. Waiting for that sequence instead would drop every event
 * until the stream reached it again.
 */
export function resumePoint(lastEventId: number, bounds: EventStreamBounds): ResumePoint {
  const next = lastEventId + 1;
  if (next >= bounds.firstSeq && lastEventId <= bounds.lastSeq) return { fromSequence: next };
  const resumeFrom = bounds.firstSeq;
  const reset: StreamReset =
    lastEventId > bounds.lastSeq
      ? {
          reason: 'restarted',
          lastEventId,
          resumeFrom,
          message: `the event stream started over (its newest event is ${bounds.lastSeq}): events before the restart are gone`,
        }
      : {
          reason: 'retention',
          lastEventId,
          resumeFrom,
          message: `events ${next} to ${resumeFrom - 1} are no longer kept: some of them may have been missed`,
        };
  return { fromSequence: resumeFrom, reset };
}
