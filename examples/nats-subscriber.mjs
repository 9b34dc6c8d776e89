// Replays Plugboard's WhatsApp events from JetStream, then follows new ones as they come.
// Usage: node examples/nats-subscriber.mjs [start: stream sequence | ISO time]   (default: sequence 1)
// Env: NATS_URL, EVENTS_STREAM (default WA_EVENTS), BUS_SUBJECT_PREFIX (only if Plugboard sets one).
import { DeliverPolicy, JSONCodec, connect } from 'nats';

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const from = process.argv[2] ?? '1';
const start = /^\d+$/.test(from)
  ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(from) }
  : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from).toISOString() };
const prefix = process.env.BUS_SUBJECT_PREFIX ? `${process.env.BUS_SUBJECT_PREFIX}.` : '';
// An ordered consumer: no state on the server, resumes by itself after a reconnect.
const consumer = await nc.jetstream().consumers.get(process.env.EVENTS_STREAM ?? 'WA_EVENTS', { filterSubjects: `${prefix}wa.events.>`, ...start });
for await (const msg of await consumer.consume()) {
  const event = JSONCodec().decode(msg.data); // { id, type, version, sessionId, occurredAt, data }
  console.log(msg.seq, event.sessionId, event.type, JSON.stringify(event.data));
}
