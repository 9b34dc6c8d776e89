import { ErrorCode, QueueName } from '@plugboard/contracts';
import { waitFor } from '@plugboard/testing';
import { QueueError } from '../queue.errors';
import type { QueueEvent, QueuePort } from '../queue.port';

const Q = QueueName.MessagesSend;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects a queue's events, for assertions and waits. */
async function record(queue: QueuePort, name: QueueName = Q): Promise<QueueEvent[]> {
  const events: QueueEvent[] = [];
  await queue.onEvent(name, (event) => events.push(event));
  return events;
}

/**
 * The behaviour every queue plug must show. `makeQueue` returns a fresh, isolated queue on
 * each call (its own prefix on Redis); the suite closes what it made.
 */
export function runQueueContract(name: string, makeQueue: () => Promise<QueuePort>): void {
  describe(`QueuePort contract: ${name}`, () => {
    const open: QueuePort[] = [];
    const make = async () => {
      const queue = await makeQueue();
      open.push(queue);
      return queue;
    };

    afterEach(async () => {
      await Promise.all(open.splice(0).map((queue) => queue.close()));
    });

    it('processes a job and emits completed with the return value', async () => {
      const queue = await make();
      const events = await record(queue);
      await queue.process<{ n: number }>(Q, async (job) => ({ doubled: job.data.n * 2, name: job.name }));
      const { id, duplicate } = await queue.add(Q, 'double', { n: 21 });
      expect(duplicate).toBe(false);
      const completed = await waitFor('completed event', () => events.find((e) => e.type === 'completed' && e.jobId === id));
      expect(completed).toEqual({ type: 'completed', queue: Q, jobId: id, returnValue: { doubled: 42, name: 'double' } });
      const info = await queue.getJob(Q, id);
      expect(info).toMatchObject({ id, name: 'double', data: { n: 21 }, state: 'completed', attemptsMade: 1, returnValue: { doubled: 42, name: 'double' } });
    });

    it('de-duplicates by jobId, also after completion, and processes the job once', async () => {
      const queue = await make();
      const events = await record(queue);
      const first = await queue.add(Q, 'send', { v: 1 }, { jobId: 'idem-1' });
      const second = await queue.add(Q, 'send', { v: 2 }, { jobId: 'idem-1' });
      expect(first).toEqual({ id: 'idem-1', duplicate: false });
      expect(second).toEqual({ id: 'idem-1', duplicate: true });
      const seen: unknown[] = [];
      await queue.process(Q, async (job) => seen.push(job.data));
      await waitFor('completed', () => events.some((e) => e.type === 'completed'));
      expect(await queue.add(Q, 'send', { v: 3 }, { jobId: 'idem-1' })).toEqual({ id: 'idem-1', duplicate: true });
      // Let a wrongly re-added job surface before counting.
      await sleep(200);
      expect(seen).toEqual([{ v: 1 }]);
      expect((await queue.getJob(Q, 'idem-1'))?.data).toEqual({ v: 1 });
    });

    it('reports exactly one of concurrent adds of the same jobId as new', async () => {
      const queue = await make();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => queue.add(Q, 'send', { i }, { jobId: 'race' })));
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(results.every((r) => r.id === 'race')).toBe(true);
      expect((await queue.counts(Q)).waiting).toBe(1);
    });

    it('adds many jobs in one call, results in job order, each de-duplicated by its own jobId', async () => {
      const queue = await make();
      const events = await record(queue);
      await queue.add(Q, 'send', { v: 'earlier' }, { jobId: 'known' });
      const results = await queue.addMany(Q, [
        { name: 'send', data: { v: 'again' }, options: { jobId: 'known' } },
        { name: 'send', data: { v: 'first' }, options: { jobId: 'twice', attempts: 2 } },
        { name: 'other', data: { v: 'no id' } },
        { name: 'send', data: { v: 'second' }, options: { jobId: 'twice' } },
        { name: 'later', data: { v: 'delayed' }, options: { jobId: 'due-later', delayMs: 60_000 } },
      ]);
      expect(results.map((r) => r.duplicate)).toEqual([true, false, false, true, false]);
      expect(results.map((r) => r.id)).toEqual(['known', 'twice', results[2].id, 'twice', 'due-later']);
      expect(['known', 'twice', 'due-later']).not.toContain(results[2].id);
      expect(await queue.getJob(Q, 'twice')).toMatchObject({ name: 'send', data: { v: 'first' }, state: 'waiting' });
      expect(await queue.getJob(Q, 'due-later')).toMatchObject({ state: 'delayed' });
      expect(await queue.addMany(Q, [])).toEqual([]);

      const seen: unknown[] = [];
      await queue.process(Q, async (job) => seen.push(job.data));
      await waitFor('three completed', () => events.filter((e) => e.type === 'completed').length === 3);
      expect(seen).toEqual(expect.arrayContaining([{ v: 'earlier' }, { v: 'first' }, { v: 'no id' }]));
      expect(await queue.addMany(Q, [{ name: 'send', data: {}, options: { jobId: 'twice' } }])).toEqual([{ id: 'twice', duplicate: true }]);
      // Let a wrongly added duplicate surface before counting.
      await sleep(200);
      expect(seen).toHaveLength(3);
    });

    it('adds none of many jobs when one has invalid options', async () => {
      const queue = await make();
      const error = await queue
        .addMany(Q, [
          { name: 'ok', data: {}, options: { jobId: 'fine' } },
          { name: 'bad', data: {}, options: { jobId: 'a:b' } },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueueError);
      expect((error as QueueError).code).toBe(ErrorCode.ValidationFailed);
      expect(await queue.getJob(Q, 'fine')).toBeNull();
      expect((await queue.counts(Q)).waiting).toBe(0);
    });

    it('rejects job ids with ":" or reserved by BullMQ, and other invalid options, as VALIDATION_FAILED', async () => {
      const queue = await make();
      for (const options of [{ jobId: 'a:b' }, { jobId: '' }, { jobId: '0' }, { jobId: 'delayed' }, { jobId: 'events' }, { attempts: 0 }, { delayMs: -1 }]) {
        const error = await queue.add(Q, 'x', {}, options).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(QueueError);
        expect((error as QueueError).code).toBe(ErrorCode.ValidationFailed);
      }
    });

    it('allows one processor per queue', async () => {
      const queue = await make();
      await queue.process(Q, async () => undefined);
      await expect(queue.process(Q, async () => undefined)).rejects.toMatchObject({ code: ErrorCode.Conflict });
    });

    it('retries with growing exponential backoff until a try succeeds', async () => {
      const queue = await make();
      const events = await record(queue);
      const tries: { at: number; attemptsMade: number }[] = [];
      await queue.process(Q, async (job) => {
        tries.push({ at: Date.now(), attemptsMade: job.attemptsMade });
        if (tries.length < 3) throw new Error(`try ${tries.length} failed`);
        return 'ok';
      });
      // 250 ms then 500 ms: far enough apart that timer and polling jitter cannot swap them.
      const { id } = await queue.add(Q, 'flaky', {}, { attempts: 4, backoff: { type: 'exponential', delayMs: 250 } });
      await waitFor('completed', () => events.find((e) => e.type === 'completed' && e.jobId === id));
      expect(tries.map((t) => t.attemptsMade)).toEqual([0, 1, 2]);
      const [firstGap, secondGap] = [tries[1].at - tries[0].at, tries[2].at - tries[1].at];
      expect(secondGap).toBeGreaterThan(firstGap);
      const failures = events.filter((e) => e.type === 'failed');
      expect(failures).toEqual([
        { type: 'failed', queue: Q, jobId: id, reason: 'try 1 failed', attemptsMade: 1, final: false },
        { type: 'failed', queue: Q, jobId: id, reason: 'try 2 failed', attemptsMade: 2, final: false },
      ]);
      expect(await queue.getJob(Q, id)).toMatchObject({ state: 'completed', attemptsMade: 3, returnValue: 'ok' });
    });

    it('retries with fixed backoff', async () => {
      const queue = await make();
      const events = await record(queue);
      let tries = 0;
      await queue.process(Q, async () => {
        tries += 1;
        if (tries === 1) throw new Error('once');
        return tries;
      });
      const { id } = await queue.add(Q, 'flaky', {}, { attempts: 2, backoff: { type: 'fixed', delayMs: 50 } });
      await waitFor('completed', () => events.find((e) => e.type === 'completed' && e.jobId === id));
      expect(tries).toBe(2);
    });

    it('fails for good after the last attempt: failed event with final true, state failed with the reason', async () => {
      const queue = await make();
      const events = await record(queue);
      await queue.process(Q, async () => {
        throw new Error('boom');
      });
      const { id } = await queue.add(Q, 'doomed', { x: 1 }, { attempts: 2, backoff: { type: 'fixed', delayMs: 50 } });
      const final = await waitFor('final failure', () => events.find((e) => e.type === 'failed' && e.final));
      expect(final).toEqual({ type: 'failed', queue: Q, jobId: id, reason: 'boom', attemptsMade: 2, final: true });
      expect(events.filter((e) => e.type === 'failed')).toHaveLength(2);
      expect(await queue.getJob(Q, id)).toMatchObject({ id, state: 'failed', failedReason: 'boom', attemptsMade: 2, data: { x: 1 } });
      expect(await queue.counts(Q)).toMatchObject({ failed: 1, completed: 0, waiting: 0, active: 0, delayed: 0 });
    });

    it('runs at most `concurrency` jobs at once, and that many do run at once', async () => {
      const queue = await make();
      const events = await record(queue);
      let running = 0;
      let peak = 0;
      let open3!: () => void;
      const threeRunning = new Promise<void>((resolve) => (open3 = resolve));
      await queue.process(
        Q,
        async () => {
          running += 1;
          peak = Math.max(peak, running);
          if (running === 3) open3();
          await threeRunning;
          await sleep(20);
          running -= 1;
        },
        { concurrency: 3 },
      );
      for (let i = 0; i < 9; i += 1) await queue.add(Q, 'work', { i });
      await waitFor('nine completed', () => events.filter((e) => e.type === 'completed').length === 9, { timeoutMs: 15_000 });
      expect(peak).toBe(3);
    });

    it('emits progress events and keeps the last progress', async () => {
      const queue = await make();
      const events = await record(queue);
      await queue.process(Q, async (job) => {
        await job.updateProgress(50);
        await job.updateProgress({ step: 'upload', percent: 90 });
        return 'done';
      });
      const { id } = await queue.add(Q, 'long', {});
      await waitFor('completed', () => events.find((e) => e.type === 'completed'));
      await waitFor('two progress events', () => events.filter((e) => e.type === 'progress').length === 2);
      expect(events.filter((e) => e.type === 'progress')).toEqual([
        { type: 'progress', queue: Q, jobId: id, progress: 50 },
        { type: 'progress', queue: Q, jobId: id, progress: { step: 'upload', percent: 90 } },
      ]);
      expect((await queue.getJob(Q, id))?.progress).toEqual({ step: 'upload', percent: 90 });
    });

    it('tells when the running try of a job started', async () => {
      const queue = await make();
      let release = () => undefined as void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const { id } = await queue.add(Q, 'held', {});
      expect((await queue.getJob(Q, id))?.startedAt).toBeUndefined();
      const before = Date.now();
      await queue.process(Q, () => held);
      try {
        const active = await waitFor('active', async () => {
          const info = await queue.getJob(Q, id);
          return info?.state === 'active' ? info : undefined;
        });
        // Redis' clock and ours may differ by a little.
        expect(active.startedAt).toBeGreaterThanOrEqual(before - 1_000);
        expect(active.startedAt).toBeLessThanOrEqual(Date.now() + 1_000);
      } finally {
        release();
      }
    });

    it('counts jobs per state and keeps queues apart', async () => {
      const queue = await make();
      await queue.add(Q, 'a', {});
      await queue.add(Q, 'b', {});
      await queue.add(Q, 'c', {}, { delayMs: 60_000 });
      await queue.add(QueueName.WebhooksDeliver, 'd', {});
      expect(await queue.counts(Q)).toEqual({ waiting: 2, delayed: 1, active: 0, completed: 0, failed: 0 });
      expect(await queue.counts(QueueName.WebhooksDeliver)).toEqual({ waiting: 1, delayed: 0, active: 0, completed: 0, failed: 0 });
      expect(await queue.counts(QueueName.InfraJobs)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 });
      expect(await queue.getJob(Q, 'no-such-job')).toBeNull();
    });

    it('holds a delayed job until its delay passed, then runs it', async () => {
      const queue = await make();
      const events = await record(queue);
      const ran: string[] = [];
      await queue.process(Q, async (job) => ran.push(job.id));
      const { id } = await queue.add(Q, 'later', {}, { delayMs: 300 });
      expect((await queue.getJob(Q, id))?.state).toBe('delayed');
      expect(ran).toEqual([]);
      await waitFor('completed', () => events.find((e) => e.type === 'completed' && e.jobId === id));
      expect(ran).toEqual([id]);
    });

    it('closes gracefully: the in-flight job finishes and is recorded, no new job starts', async () => {
      const queue = await make();
      const events = await record(queue);
      const started: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      await queue.process(Q, async (job) => {
        started.push(job.id);
        await gate;
        return `done-${job.id}`;
      });
      await queue.add(Q, 'slow', {}, { jobId: 'in-flight' });
      await waitFor('first job started', () => started.length === 1);
      await queue.add(Q, 'slow', {}, { jobId: 'queued' });
      let closed = false;
      const closing = queue.close().then(() => (closed = true));
      await sleep(100);
      expect(closed).toBe(false);
      await expect(queue.add(Q, 'late', {})).rejects.toMatchObject({ code: ErrorCode.ShuttingDown });
      release();
      await closing;
      expect(events).toContainEqual({ type: 'completed', queue: Q, jobId: 'in-flight', returnValue: 'done-in-flight' });
      await sleep(200);
      expect(started).toEqual(['in-flight']);
    });

    it('reports health up (once connected) with its plug name', async () => {
      const queue = await make();
      const health = await waitFor('health up', async () => {
        const current = await queue.health();
        return current.status === 'up' && current;
      });
      expect(health).toMatchObject({ socket: 'queue', plug: queue.plug, status: 'up' });
    });
  });
}
