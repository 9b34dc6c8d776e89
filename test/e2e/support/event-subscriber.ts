import type { EventEnvelope } from '@plugboard/contracts';
import { DeliverPolicy, JSONCodec, type NatsConnection, type OrderedConsumerOptions, connect } from 'nats';

export interface SeenEvent {
  /** Position in the JetStream stream. */
  seq: number;
  event: EventEnvelope;
  /** `Date.now()` when this subscriber received it. */
  at: number;
}

export interface EventSubscriber {
  readonly events: SeenEvent[];
  /** The events of one type, in stream order. */
  ofType(type: string): SeenEvent[];
  close(): Promise<void>;
}

export type ReplayFrom = { seq: number } | { time: Date } | 'new' | 'all';

/**
 * What an external program does: its own NATS connection, an ordered JetStream consumer on the
 * events stream filtered to one session, decoding the contract envelope. Nothing of Plugboard's
 * own bus code is used, so this proves the stream works for outsiders.
 */
export async function subscribeEvents(options: { natsUrl: string; stream: string; subjectPrefix: string; sessionId: string; from: ReplayFrom }): Promise<EventSubscriber> {
  const nc: NatsConnection = await connect({ servers: options.natsUrl });
  const consumerOptions: Partial<OrderedConsumerOptions> = { filterSubjects: `${options.subjectPrefix}.wa.events.${options.sessionId}.>` };
  const { from } = options;
  if (from === 'new') consumerOptions.deliver_policy = DeliverPolicy.New;
  // From sequence 1 rather than DeliverPolicy.All: an ordered consumer of nats 2.29 asked for `all` never starts on nats-server 2.9.
  else if (from === 'all') Object.assign(consumerOptions, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
  else if ('seq' in from) Object.assign(consumerOptions, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.seq });
  else Object.assign(consumerOptions, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.time.toISOString() });
  const consumer = await nc.jetstream().consumers.get(options.stream, consumerOptions);
  const messages = await consumer.consume();
  const json = JSONCodec<EventEnvelope>();
  const events: SeenEvent[] = [];
  const done = (async () => {
    for await (const msg of messages) events.push({ seq: msg.seq, event: json.decode(msg.data), at: Date.now() });
  })();
  return {
    events,
    ofType: (type) => events.filter((e) => e.event.type === type),
    close: async () => {
      await messages.close();
      await done.catch(() => undefined);
      await nc.close();
    },
  };
}
