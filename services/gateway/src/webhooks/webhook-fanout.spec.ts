import type { AppConfig } from '@plugboard/config';
import type { Database } from '@plugboard/database';
import type { BusPort, EventStreamBounds, QueuePort } from '@plugboard/messaging';
import type { ServiceLogger } from '@plugboard/service-kit';
import { waitFor } from '@plugboard/testing';
import type { WebhookDeliveryStatements } from './webhook-delivery-statements';
import type { WebhookDirectory } from './webhook-directory';
import { WebhookFanout } from './webhook-fanout';

/** A fan-out on a durable stream (plug `nats`) with the stored cursor `cursor` and the stream holding `bounds`. */
function setup(cursor: number | undefined, bounds: EventStreamBounds) {
  const calls = { fromSequence: [] as number[], startOver: [] as number[], warnings: [] as string[], errors: [] as string[] };
  const bus = {
    plug: 'nats',
    eventBounds: async () => bounds,
    subscribeEvents: async (options: { fromSequence: number }) => {
      calls.fromSequence.push(options.fromSequence);
      return { unsubscribe: async () => undefined };
    },
  } as unknown as BusPort;
  const database = {
    connector: { whenReady: async () => undefined },
    webhookCursors: { get: async () => cursor, startOver: async (_stream: string, seq: number) => void calls.startOver.push(seq), advance: async () => undefined },
  } as unknown as Database;
  const logger = {
    log: () => undefined,
    warn: (message: string) => void calls.warnings.push(message),
    error: (message: string) => void calls.errors.push(message),
  } as unknown as ServiceLogger;
  const fanout = new WebhookFanout(
    bus,
    {} as QueuePort,
    database,
    {} as WebhookDeliveryStatements,
    {} as WebhookDirectory,
    logger,
    { EVENTS_STREAM: 'events' } as AppConfig,
  );
  return { fanout, calls };
}

async function started(cursor: number | undefined, bounds: EventStreamBounds) {
  const { fanout, calls } = setup(cursor, bounds);
  fanout.onApplicationBootstrap();
  await waitFor('the fan-out subscribed', async () => calls.fromSequence.length === 1);
  await fanout.onApplicationShutdown();
  return calls;
}

describe('WebhookFanout: where it resumes the events stream', () => {
  it('right after the stored cursor while the stream holds it; from 1 without one', async () => {
    expect((await started(40, { firstSeq: 10, lastSeq: 90 })).fromSequence).toEqual([41]);
    expect((await started(90, { firstSeq: 10, lastSeq: 90 })).fromSequence).toEqual([91]);
    expect((await started(undefined, { firstSeq: 1, lastSeq: 0 })).fromSequence).toEqual([1]);
  });

  it('from the start of a stream that started over, setting the cursor back to match', async () => {
    const calls = await started(5_000, { firstSeq: 1, lastSeq: 12 });
    expect(calls.fromSequence).toEqual([1]);
    expect(calls.startOver).toEqual([0]);
    expect(calls.warnings.join('\n')).toMatch(/started over/);
  });

  it('from the oldest event kept when retention dropped some it never fanned out, and says so', async () => {
    const calls = await started(40, { firstSeq: 100, lastSeq: 150 });
    expect(calls.fromSequence).toEqual([100]);
    expect(calls.startOver).toEqual([]);
    expect(calls.errors.join('\n')).toMatch(/events 41 to 99 were dropped/);
  });
});
