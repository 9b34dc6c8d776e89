import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import type { ServerResponse } from 'node:http';
import { type EventStreamQuery, subjectFilter } from './event-stream-query';
import { InfraJobRelay } from './infra-job-relay';
import { resumePoint } from './resume-point';
import { SseConnection } from './sse-connection';

export const KEEP_ALIVE_MS = 15_000;
/** Unsent bytes one client may hold back before its stream overflows. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
export const DRAIN_TIMEOUT_MS = 30_000;

export interface OpenStreamOptions {
  query: EventStreamQuery;
  /** Also forward admin job progress (`event: infra.job`). */
  infraJobs: boolean;
  headers?: Record<string, string | number | string[]>;
}

/**
 * The live event streams of `GET /api/events`: one events-stream subscription per client,
 * ended when the client goes (or overflows, or the gateway stops), so none outlives its client.
 */
@Injectable()
export class EventStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<SseConnection>();
  /** Interval of the keep-alive comments of new streams (a test may shorten it). */
  keepAliveMs = KEEP_ALIVE_MS;

  constructor(
    private readonly bus: BusPort,
    private readonly infraJobs: InfraJobRelay,
  ) {}

  /** Streams open right now. */
  get size(): number {
    return this.open.size;
  }

  /**
   * Subscribes first (a bus failure is still an ordinary error answer), then opens the
   * response; events arriving in between wait in the connection. A Last-Event-ID the stream
   * no longer holds gets an `event: reset` before any event (see resumePoint).
   */
  async stream(response: ServerResponse, options: OpenStreamOptions): Promise<void> {
    const { query } = options;
    const connection = new SseConnection(response, {
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      keepAliveMs: this.keepAliveMs,
      drainTimeoutMs: DRAIN_TIMEOUT_MS,
      headers: options.headers,
    });
    const wanted = (event: EventEnvelope) =>
      (!query.sessionIds || query.sessionIds.has(event.sessionId)) && (!query.types || query.types.has(event.type));
    const resume = query.lastEventId === undefined ? undefined : resumePoint(query.lastEventId, await this.bus.eventBounds());
    // Its id is the sequence before resumeFrom: a client reconnecting before the next event does not hear of the gap again.
    if (resume?.reset) await connection.send('reset', resume.reset, resume.reset.resumeFrom - 1);
    const subscription = await this.bus.subscribeEvents(
      { filter: subjectFilter(query), ...(resume ? { fromSequence: resume.fromSequence } : {}) },
      async (event, meta) => {
        if (!connection.closed && wanted(event)) await connection.send(event.type, event, meta.seq);
      },
    );
    this.open.add(connection);
    const stopInfra = options.infraJobs ? this.infraJobs.listen((progress) => void connection.send('infra.job', progress)) : undefined;
    connection.onClose(() => {
      this.open.delete(connection);
      stopInfra?.();
      void subscription.unsubscribe().catch(() => undefined);
    });
    connection.open();
  }

  /** Ends every stream before the HTTP server closes: an open stream would hold the close forever. */
  beforeApplicationShutdown(): void {
    for (const connection of [...this.open]) connection.close();
  }
}
