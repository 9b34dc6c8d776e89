import type { QueueName } from '@plugboard/contracts';
import { performance } from 'node:perf_hooks';
import { SpanKind, type TraceCarrier, extractTraceCarrier, inSpan, injectTraceCarrier, sessionIdOf } from '../tracing/message-tracing';
import type { QueueLogger } from './queue-logger';

/**
 * Trace context of a job. It travels in the job's options, not in its data: the handler,
 * `getJob()` and anything comparing data (idempotent adds) see exactly what the caller added,
 * and no reserved key can collide with a caller's field. BullMQ keeps unknown options as they
 * are, so every try of the job (retries included) continues the trace of the add.
 */
export const JOB_TRACE_OPTION = 'pbTrace';

/** The carrier to store with a job being added now; undefined outside a trace. */
export function jobTraceCarrier(): TraceCarrier | undefined {
  return injectTraceCarrier();
}

/** The carrier a job of `addMany` stores: the one it names (null: none), else the active one. */
export function chosenTraceCarrier(trace: TraceCarrier | null | undefined): TraceCarrier | undefined {
  return trace === undefined ? jobTraceCarrier() : (trace ?? undefined);
}

/**
 * Runs one try of a job inside a span continuing the add's trace, with the job's session id
 * (if its data names one) in the context for log lines; logs the outcome at debug level.
 */
export function runJobTraced<R>(
  queue: QueueName,
  job: { id: string; name: string; data: unknown; attemptsMade: number },
  carrier: unknown,
  logger: QueueLogger,
  handler: () => Promise<R>,
): Promise<R> {
  const attributes = { 'messaging.destination.name': queue, 'messaging.message.id': job.id, 'plugboard.job.attempt': job.attemptsMade + 1 };
  const options = { kind: SpanKind.CONSUMER, parent: extractTraceCarrier(carrier), attributes, sessionId: sessionIdOf(job.data) };
  return inSpan(`job ${queue}`, options, async () => {
    const started = performance.now();
    const took = () => Math.round(performance.now() - started);
    try {
      const result = await handler();
      logger.debug?.(`queue ${queue}: job ${job.id} (${job.name}) try ${job.attemptsMade + 1} done in ${took()} ms`);
      return result;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.debug?.(`queue ${queue}: job ${job.id} (${job.name}) try ${job.attemptsMade + 1} failed after ${took()} ms: ${reason}`);
      throw error;
    }
  });
}
