import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { loadConfig } from '@plugboard/config';
import type { EventEnvelope, EventType } from '@plugboard/contracts';
import { type BusPort, createBus } from '@plugboard/messaging';
import { createServiceLogger } from '@plugboard/service-kit';
import { backendReachable, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { connect } from 'nats';

const EXAMPLE = resolve(__dirname, '../../examples/nats-subscriber.mjs');

function envelope(sessionId: string, type: EventType, data: Record<string, unknown>, occurredAt = new Date()): EventEnvelope {
  return { id: randomUUID(), type, version: 1, sessionId, occurredAt: occurredAt.toISOString(), data };
}

// The README's subscriber example, run as it is against the shared NATS on a stream of its own.
describe('examples/nats-subscriber.mjs', () => {
  const tag = uniqueName('example').replace(/-/g, '_');
  let bus: BusPort | undefined;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    if (!(await backendReachable('NATS', testBackends.natsUrl))) return;
    const config = loadConfig({ env: { BUS_TYPE: 'nats', NATS_URL: testBackends.natsUrl, BUS_SUBJECT_PREFIX: tag, EVENTS_STREAM: tag, LOG_LEVEL: 'error' } });
    bus = createBus(config, 'example-test', createServiceLogger('example-test', 'error'));
    await bus.connect();
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await bus?.close();
    const nc = await connect({ servers: testBackends.natsUrl }).catch(() => undefined);
    await (await nc?.jetstreamManager())?.streams.delete(tag).catch(() => undefined);
    await nc?.close();
  });

  function run(start: string): { lines: string[] } {
    const lines: string[] = [];
    const child = spawn(process.execPath, [EXAMPLE, start], {
      env: { ...process.env, NATS_URL: testBackends.natsUrl, EVENTS_STREAM: tag, BUS_SUBJECT_PREFIX: tag },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
    });
    return { lines };
  }

  it('replays the events it missed from a sequence, then prints new ones', async ({ skip }) => {
    if (!bus) return skip();
    const first = await bus.publishEvent(envelope('s1', 'message.sent', { messageId: 'm1' }));
    const second = await bus.publishEvent(envelope('s1', 'message.ack', { messageId: 'm1', ack: 'read' }));
    const { lines } = run(String(second));
    await waitFor('the replayed event', () => lines.find((line) => line.startsWith(`${second} s1 message.ack`)));
    expect(lines.some((line) => line.startsWith(`${first} `))).toBe(false);
    const third = await bus.publishEvent(envelope('s2', 'message.received', { text: 'hi' }));
    await waitFor('the live event', () => lines.find((line) => line.startsWith(`${third} s2 message.received`)));
  });

  it('replays from a time', async ({ skip }) => {
    if (!bus) return skip();
    const cut = new Date();
    await new Promise((r) => setTimeout(r, 20));
    const after = await bus.publishEvent(envelope('s3', 'session.status', { status: 'ready', previous: 'authenticating' }));
    const { lines } = run(cut.toISOString());
    await waitFor('the event after the cut', () => lines.find((line) => line.startsWith(`${after} s3 session.status`)));
    expect(lines.every((line) => Number(line.split(' ')[0]) >= after)).toBe(true);
  });
});
