import { ErrorCode, EventEnvelope, EventType, ReplyOf } from '@plugboard/contracts';
import { waitFor } from '@plugboard/testing';
import { randomUUID } from 'node:crypto';
import { BusError } from '../bus.errors';
import { BusPort } from '../bus.port';

let sessionCounter = 0;

/** A session id no other test of the run uses, so event filters isolate each test. */
function freshSession(): string {
  return `s${process.pid}_${Date.now().toString(36)}_${++sessionCounter}`;
}

function makeEvent(sessionId: string, type: EventType = 'message.received', data: Record<string, unknown> = {}): EventEnvelope {
  return { id: randomUUID(), type, version: 1, sessionId, occurredAt: new Date().toISOString(), data };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejection(promise: Promise<unknown>): Promise<BusError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BusError);
    return error as BusError;
  }
  throw new Error('expected a rejection');
}

/**
 * The behaviour every bus plug must show, run against the real backend. `makeBus` returns a
 * connected bus; each test gets its own and closes it.
 */
export function runBusContract(name: string, makeBus: () => Promise<BusPort>): void {
  describe(`BusPort contract: ${name}`, () => {
    let bus: BusPort;
    const releases: Array<() => void> = [];

    beforeEach(async () => {
      bus = await makeBus();
    });
    afterEach(async () => {
      releases.splice(0).forEach((release) => release());
      await bus.close();
    });

    describe('request-reply', () => {
      it('returns the validated reply', async () => {
        await bus.handle('bus.echo', ({ text }) => ({ text, instanceId: 'one' }));
        await expect(bus.request('bus.echo', { text: 'hi' })).resolves.toEqual({ text: 'hi', instanceId: 'one' });
      });

      it('rejects with BUS_NO_RESPONDERS when nobody handles the subject', async () => {
        const error = await rejection(bus.request('bus.echo', { text: 'anyone?' }, { timeoutMs: 2_000 }));
        expect(error.code).toBe(ErrorCode.BusNoResponders);
      });

      it('rejects with BUS_TIMEOUT when the handler does not answer in time', async () => {
        await bus.handle('bus.echo', () => new Promise<ReplyOf<'bus.echo'>>((resolve) => releases.push(() => resolve({ text: 'late' }))));
        const error = await rejection(bus.request('bus.echo', { text: 'slow' }, { timeoutMs: 200 }));
        expect(error.code).toBe(ErrorCode.BusTimeout);
      });

      it('passes a remote error code through, and INTERNAL for an uncoded error', async () => {
        await bus.handle('bus.echo', ({ text }) => {
          if (text === 'missing') throw new BusError(ErrorCode.NotFound, 'no such thing');
          throw new Error('boom');
        });
        const coded = await rejection(bus.request('bus.echo', { text: 'missing' }));
        expect(coded.code).toBe(ErrorCode.NotFound);
        expect(coded.message).toBe('no such thing');
        const uncoded = await rejection(bus.request('bus.echo', { text: 'other' }));
        expect(uncoded.code).toBe(ErrorCode.Internal);
      });

      it('answers a malformed request with VALIDATION_FAILED and keeps serving', async () => {
        const seen: string[] = [];
        await bus.handle('bus.echo', ({ text }) => (seen.push(text), { text }));
        const error = await rejection(bus.request('bus.echo', { text: 42 } as never));
        expect(error.code).toBe(ErrorCode.ValidationFailed);
        await expect(bus.request('bus.echo', { text: 'still here' })).resolves.toEqual({ text: 'still here' });
        expect(seen).toEqual(['still here']);
      });

      it('serves a wire subject that differs from the map key', async () => {
        await bus.handle('bus.echo', ({ text }, { subject }) => ({ text: `${text}@${subject}` }), { subject: 'bus.echo.*' });
        await expect(bus.request('bus.echo', { text: 'x' }, { subject: 'bus.echo.node7' })).resolves.toEqual({ text: 'x@bus.echo.node7' });
      });
    });

    describe('queue groups', () => {
      it('gives each request to exactly one member of a group', async () => {
        const counts = [0, 0];
        for (const member of [0, 1]) {
          await bus.handle('bus.echo', ({ text }) => (counts[member]++, { text }), { queue: 'workers' });
        }
        for (let i = 0; i < 10; i++) await bus.request('bus.echo', { text: `r${i}` });
        await sleep(50);
        expect(counts[0] + counts[1]).toBe(10);
      });

      it('delivers a request to one member of every group', async () => {
        const groups: string[] = [];
        for (const queue of ['group-a', 'group-b']) {
          await bus.handle('bus.echo', ({ text }) => (groups.push(queue), { text }), { queue });
        }
        await bus.request('bus.echo', { text: 'both' });
        await waitFor('both groups to get the request', () => groups.length === 2, { timeoutMs: 5_000, intervalMs: 10 });
        expect(groups.sort()).toEqual(['group-a', 'group-b']);
      });

      it('splits published messages inside a group and copies them across groups', async () => {
        const got = { x1: 0, x2: 0, y: 0 };
        await bus.subscribe('jobs.created', () => void got.x1++, { queue: 'x' });
        await bus.subscribe('jobs.created', () => void got.x2++, { queue: 'x' });
        await bus.subscribe('jobs.created', () => void got.y++, { queue: 'y' });
        for (let i = 0; i < 10; i++) await bus.publish('jobs.created', { i });
        await waitFor('ten messages per group', () => got.x1 + got.x2 === 10 && got.y === 10, { timeoutMs: 5_000, intervalMs: 10 });
        await sleep(50);
        expect(got.x1 + got.x2).toBe(10);
        expect(got.y).toBe(10);
      });
    });

    describe('scatter-gather', () => {
      async function threeResponders(): Promise<void> {
        for (const instanceId of ['i1', 'i2', 'i3']) {
          await bus.handle('bus.echo', ({ text }) => ({ text, instanceId }));
        }
      }

      it('collects every responder before the deadline', async () => {
        await threeResponders();
        const replies = await bus.gather('bus.echo', { text: 'ping' }, { timeoutMs: 500 });
        expect(replies.map((r) => r.instanceId).sort()).toEqual(['i1', 'i2', 'i3']);
      });

      it('stops early once `expected` replies arrived', { timeout: 10_000 }, async () => {
        await threeResponders();
        // The deadline lies past the test timeout: only the early stop lets this test pass.
        const replies = await bus.gather('bus.echo', { text: 'ping' }, { timeoutMs: 20_000, expected: 2 });
        expect(replies).toHaveLength(2);
      });

      it('returns nothing, without an error, when nobody answers', { timeout: 10_000 }, async () => {
        await expect(bus.gather('bus.echo', { text: 'ping' }, { timeoutMs: 300 })).resolves.toEqual([]);
      });
    });

    describe('publish/subscribe', () => {
      it('matches `*` as one token and `>` as one or more', async () => {
        const star: string[] = [];
        const tail: string[] = [];
        await bus.subscribe('demo.*.created', (_data, { subject }) => void star.push(subject));
        await bus.subscribe('demo.>', (_data, { subject }) => void tail.push(subject));
        for (const subject of ['demo.a.created', 'demo.a.b.created', 'demo', 'demo.b.deleted', 'demo.z.created']) {
          await bus.publish(subject, { subject });
        }
        await waitFor('the sentinel on both', () => star.includes('demo.z.created') && tail.includes('demo.z.created'), {
          timeoutMs: 5_000,
          intervalMs: 10,
        });
        expect(star).toEqual(['demo.a.created', 'demo.z.created']);
        expect(tail).toEqual(['demo.a.created', 'demo.a.b.created', 'demo.b.deleted', 'demo.z.created']);
      });

      it('delivers the JSON payload and survives a throwing subscriber', async () => {
        const received: unknown[] = [];
        await bus.subscribe('demo.payload', (data) => {
          received.push(data);
          if (received.length === 1) throw new Error('first one fails');
        });
        await bus.publish('demo.payload', { n: 1, at: new Date(0) });
        await bus.publish('demo.payload', { n: 2 });
        await waitFor('two messages', () => received.length === 2, { timeoutMs: 5_000, intervalMs: 10 });
        expect(received).toEqual([{ n: 1, at: '1970-01-01T00:00:00.000Z' }, { n: 2 }]);
      });

      it('delivers a long burst of awaited publishes whole and in order, non-ASCII text intact', async () => {
        const received: number[] = [];
        let text = '';
        await bus.subscribe('demo.burst', (data) => {
          const { n, note } = data as { n: number; note: string };
          received.push(n);
          text = note;
        });
        const count = 2_000;
        for (let n = 0; n < count; n++) await bus.publish('demo.burst', { n, note: 'grüße 👋' });
        await waitFor('the whole burst', () => received.length === count, { timeoutMs: 10_000, intervalMs: 10 });
        expect(received).toEqual(Array.from({ length: count }, (_, n) => n));
        expect(text).toBe('grüße 👋');
      });
    });

    describe('events', () => {
      it('delivers only new events to a subscriber without a start, de-duplicating by id', async () => {
        const sessionId = freshSession();
        const old = makeEvent(sessionId);
        await bus.publishEvent(old);
        const got: Array<{ id: string; seq: number; subject: string }> = [];
        await bus.subscribeEvents({ filter: `wa.events.${sessionId}.>` }, (event, meta) => void got.push({ id: event.id, ...meta }));
        const fresh = makeEvent(sessionId, 'message.sent', { to: 'x' });
        const seq = await bus.publishEvent(fresh);
        await expect(bus.publishEvent(fresh)).resolves.toBe(seq);
        await waitFor('the new event', () => got.length >= 1, { timeoutMs: 5_000, intervalMs: 10 });
        await sleep(100);
        expect(got).toEqual([{ id: fresh.id, seq, subject: `wa.events.${sessionId}.message.sent` }]);
      });

      it('replays from a sequence, in order, then follows', async () => {
        const sessionId = freshSession();
        const events = [makeEvent(sessionId), makeEvent(sessionId), makeEvent(sessionId)];
        const seqs: number[] = [];
        for (const event of events) seqs.push(await bus.publishEvent(event));
        expect(seqs[1]).toBeGreaterThan(seqs[0]);
        const got: Array<[string, number]> = [];
        await bus.subscribeEvents({ filter: `wa.events.${sessionId}.>`, fromSequence: seqs[1] }, (event, meta) => void got.push([event.id, meta.seq]));
        const later = makeEvent(sessionId);
        const laterSeq = await bus.publishEvent(later);
        await waitFor('replayed and new events', () => got.length >= 3, { timeoutMs: 5_000, intervalMs: 10 });
        expect(got).toEqual([
          [events[1].id, seqs[1]],
          [events[2].id, seqs[2]],
          [later.id, laterSeq],
        ]);
      });

      it('replays from a time', async () => {
        const sessionId = freshSession();
        const before = makeEvent(sessionId);
        await bus.publishEvent(before);
        await sleep(30);
        const from = new Date();
        await sleep(30);
        const after = makeEvent(sessionId);
        await bus.publishEvent(after);
        const got: string[] = [];
        await bus.subscribeEvents({ filter: `wa.events.${sessionId}.>`, fromTime: from }, (event) => void got.push(event.id));
        await waitFor('the event after the start time', () => got.length >= 1, { timeoutMs: 5_000, intervalMs: 10 });
        await sleep(100);
        expect(got).toEqual([after.id]);
      });

      it('reports the sequences the events stream holds', async () => {
        const before = await bus.eventBounds();
        expect(before.firstSeq).toBeLessThanOrEqual(before.lastSeq + 1);
        const seq = await bus.publishEvent(makeEvent(freshSession()));
        const after = await bus.eventBounds();
        expect(seq).toBeGreaterThan(before.lastSeq);
        expect(after.lastSeq).toBeGreaterThanOrEqual(seq);
        expect(after.firstSeq).toBeLessThanOrEqual(seq);
      });

      it('keeps delivering after a handler error', async () => {
        const sessionId = freshSession();
        const got: string[] = [];
        await bus.subscribeEvents({ filter: `wa.events.${sessionId}.message.*` }, (event) => {
          got.push(event.id);
          if (got.length === 1) throw new Error('handler failed');
        });
        const first = makeEvent(sessionId);
        const second = makeEvent(sessionId);
        await bus.publishEvent(first);
        await bus.publishEvent(second);
        await waitFor('both events', () => got.length === 2, { timeoutMs: 5_000, intervalMs: 10 });
        expect(got).toEqual([first.id, second.id]);
      });

      it('rejects an invalid event envelope with VALIDATION_FAILED', async () => {
        const error = await rejection(bus.publishEvent({ ...makeEvent(freshSession()), sessionId: 'has.dots' }));
        expect(error.code).toBe(ErrorCode.ValidationFailed);
      });
    });

    it('reports health up while connected', async () => {
      expect(bus.state()).toBe('connected');
      const health = await bus.health();
      expect(health).toMatchObject({ socket: 'bus', plug: bus.plug, status: 'up' });
    });

    it('rejects calls after close with BUS_UNAVAILABLE', async () => {
      await bus.close();
      expect(bus.state()).toBe('closed');
      const error = await rejection(bus.request('bus.echo', { text: 'late' }));
      expect(error.code).toBe(ErrorCode.BusUnavailable);
      expect((await bus.health()).status).toBe('down');
    });
  });
}
