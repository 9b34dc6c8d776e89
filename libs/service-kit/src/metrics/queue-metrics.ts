import { QUEUE_NAMES } from '@plugboard/contracts';
import type { JobState, QueuePort } from '@plugboard/messaging';
import type { MetricsService } from './metrics.service';

const STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

/**
 * Jobs of every queue by state, counted at scrape time (`waiting` is the depth). Each count
 * is bounded by `timeoutMs`, so an unreachable Redis slows a scrape by that much at most.
 */
export function registerQueueMetrics(metrics: MetricsService, queue: QueuePort, timeoutMs: number): void {
  metrics.gauge({
    name: 'plugboard_queue_jobs',
    help: 'Jobs in a queue by state, at scrape time (waiting = depth; completed/failed = kept ones)',
    labelNames: ['queue', 'state'],
    collect: async (gauge) => {
      gauge.reset();
      const counts = await Promise.all(QUEUE_NAMES.map(async (name) => [name, await bounded(queue.counts(name), timeoutMs)] as const));
      // A queue whose backend does not answer has no samples this scrape rather than made-up zeros.
      for (const [name, count] of counts) if (count) for (const state of STATES) gauge.set({ queue: name, state }, count[state]);
    },
  });
}

async function bounded<T>(work: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, timeoutMs, undefined)));
  try {
    return await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
