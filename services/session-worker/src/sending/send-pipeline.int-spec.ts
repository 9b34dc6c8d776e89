import type { MikroORM } from '@mikro-orm/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppConfig, loadConfig } from '@plugboard/config';
import { type EventEnvelope, QueueName, SEND_JOB_OPTIONS } from '@plugboard/contracts';
import {
  MessageBatchEntity,
  MessageBatchRepository,
  MessageEntity,
  MessageRepository,
  SessionEntity,
  SessionRepository,
  SimulatorRepository,
  openDatabase,
} from '@plugboard/database';
import { type BusPort, MemoryBusAdapter, MemoryQueueAdapter, NatsBusAdapter } from '@plugboard/messaging';
import { MetricsService, ServiceContext, createServiceLogger } from '@plugboard/service-kit';
import { backendReachable, createTestDatabase, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import { connect } from 'nats';
import type { EngineName, EnginePort } from '../engine/engine.port';
import { SimulatorEngineAdapter } from '../engine/simulator-engine.adapter';
import { SendsInFlight } from '../sessions/sends-in-flight';
import { SessionCommands } from '../sessions/session-commands';
import { SessionEngines } from '../sessions/session-engines';
import { SessionSupervisor } from '../sessions/session-supervisor';
import { SendJobsProcessor } from './send-jobs.processor';
import { SendLoops } from './send-loops';

class SimulatorOnly extends SessionEngines {
  constructor(private readonly engine: EnginePort) {
    super();
  }
  get(_name: EngineName): EnginePort {
    return this.engine;
  }
}

interface Backend {
  name: string;
  reachable: () => Promise<boolean>;
  open: (dir: string) => Promise<{ orm: MikroORM; overrides: Partial<AppConfig>; close: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    reachable: async () => true,
    open: async (dir) => {
      const overrides = { DATABASE_TYPE: 'sqlite', DATABASE_SYNCHRONIZE: true, SQLITE_PATH: join(dir, 'send.sqlite') } as const;
      const orm = await openDatabase({ ...baseConfig(dir), ...overrides });
      return { orm, overrides, close: () => orm.close(true) };
    },
  },
  {
    name: 'PostgreSQL',
    reachable: () => backendReachable('PostgreSQL', testBackends.databaseUrl),
    open: async () => {
      const db = await createTestDatabase({ prefix: 'plugboard_test_send' });
      const orm = await openDatabase(db.config, { migrate: true });
      return {
        orm,
        overrides: db.config,
        close: async () => {
          await orm.close(true);
          await db.drop();
        },
      };
    },
  },
];

function baseConfig(dir: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    cwd: dir,
    env: {
      DATA_DIR: dir,
      LOG_LEVEL: 'error',
      ENGINE_TYPE: 'simulator',
      SESSION_LEASE_TTL_MS: '5000',
      SESSION_START_STAGGER_MS: '0',
      SEND_RATE_PER_MINUTE: '0',
      SEND_MAX_ATTEMPTS: '3',
      SEND_RETRY_DELAY_MS: '20',
      SEND_CONCURRENCY: '8',
      // Acks are not what these tests look at; keep the simulator from writing them meanwhile.
      SIMULATOR_ACK_DELAY_MS: '600000',
      ...env,
    },
  });
}

describe.each(backends)('send pipeline on $name with the simulator engine', (backend) => {
  let reachable = false;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    reachable = await backend.reachable();
  });
  beforeEach(({ skip }) => skip(!reachable, `${backend.name} is unreachable`));
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function setup(env: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'pb-send-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const db = await backend.open(dir);
    cleanups.push(db.close);
    const config = { ...baseConfig(dir, env), ...db.overrides } as AppConfig;
    const sessions = new SessionRepository(db.orm);
    const messages = new MessageRepository(db.orm);
    const batches = new MessageBatchRepository(db.orm, messages);
    const simulator = new SimulatorRepository(db.orm);
    const memoryBus = new MemoryBusAdapter();
    await memoryBus.connect();
    cleanups.push(() => memoryBus.close());

    /** One session-worker: supervisor, commands, send loops and the job consumer, on `bus` and `queue`. */
    const worker = async (instanceId: string, options: { bus?: BusPort; queue?: MemoryQueueAdapter } = {}) => {
      const bus = options.bus ?? memoryBus;
      const logger = createServiceLogger(instanceId, 'error');
      const engine = new SimulatorEngineAdapter(simulator, { qrRotateMs: 60_000, autoPairMs: 0, ackDelayMs: 600_000 }, logger);
      const engines = new SimulatorOnly(engine);
      const context = new ServiceContext('session-worker', instanceId, '0.0.0', new Date(), config);
      const supervisor = new SessionSupervisor(sessions, bus, context, logger, engines, config);
      const commands = new SessionCommands(supervisor, sessions, engines);
      commands.onModuleInit();
      const loops = new SendLoops(supervisor, commands, messages, batches, bus, logger, new MetricsService('session-worker'), new SendsInFlight(), config);
      loops.onModuleInit();
      const queue = options.queue ?? new MemoryQueueAdapter({ logger: { warn: () => undefined, error: () => undefined } });
      const processor = new SendJobsProcessor(loops, sessions, bus, queue, logger);
      await processor.onApplicationBootstrap();
      // The renewal loop of onApplicationBootstrap, without its claim sweeps (tests claim on purpose).
      const renewals = setInterval(() => void supervisor.renewAll(), 1_000);
      cleanups.push(async () => {
        clearInterval(renewals);
        processor.onApplicationShutdown();
        await queue.close();
        await supervisor.onModuleDestroy();
        await engine.close();
      });
      return { supervisor, loops, queue, engine };
    };

    /** A running session whose simulated phone is already paired: it goes ready on start. */
    const pairedSession = async (name: string) => {
      const session = await sessions.create({ name, engine: 'simulator', desiredState: 'running' });
      await simulator.pair(session.id, '15550001111', 'Send Test');
      return session;
    };
    const insert = (sessionId: string, chatId: string, text: string, extra: { batchId?: string } = {}) =>
      messages.insertPending({ sessionId, chatId, from: 'me', to: chatId, type: 'text', body: text, ...extra }).then((r) => r.message);
    const row = (id: string) => db.orm.em.fork().findOneOrFail(MessageEntity, { id });
    const events = async (bus: BusPort = memoryBus) => {
      const seen: EventEnvelope[] = [];
      await bus.subscribeEvents({}, (event) => void seen.push(event));
      return seen;
    };
    const engineSends = async (sessionId: string) => simulator.listMessages(sessionId, 'out');
    /** A paired session run by one worker and ready, with the events seen from before it started. */
    const readySession = async (name: string) => {
      const session = await pairedSession(name);
      const seen = await events();
      const a = await worker('worker-a');
      await a.supervisor.sweep();
      await waitFor('loop ready', async () => (await sessions.get(session.id))?.status === 'ready');
      return { session, seen, a };
    };
    return { sut: { worker, readySession }, mocks: { orm: db.orm, sessions, messages, batches, simulator, memoryBus, pairedSession, insert, row, events, engineSends } };
  }

  it('sends 200 pending messages over 10 chats: each once, per-chat order kept, one message.sent each', { timeout: 90_000 }, async () => {
    const { sut, mocks } = await setup();
    const session = await mocks.pairedSession('bulk-200');
    const seen = await mocks.events();
    const inserted: MessageEntity[] = [];
    const sentEvents = () => seen.filter((e) => e.type === 'message.sent' && e.sessionId === session.id);
    for (let i = 0; i < 200; i++) inserted.push(await mocks.insert(session.id, `1555000${String(i % 10).padStart(4, '0')}@c.us`, `hello ${i}`));

    const a = await sut.worker('worker-a');
    const startedAt = performance.now();
    await a.supervisor.sweep();
    await waitFor('200 message.sent events', () => sentEvents().length >= 200, { timeoutMs: 60_000, intervalMs: 20 });
    const seconds = (performance.now() - startedAt) / 1000;
    console.info(`[send pipeline] ${backend.name}: 200 messages (claim → engine → sent → event) in ${seconds.toFixed(2)} s = ${(200 / seconds).toFixed(0)} rows/s`);

    const rows = await mocks.orm.em.fork().find(MessageEntity, { sessionId: session.id });
    expect(rows.map((r) => r.status)).toEqual(Array(200).fill('sent'));
    const sends = await mocks.engineSends(session.id);
    expect(sends).toHaveLength(200);
    expect(new Set(sends.map((s) => s.clientMessageId)).size).toBe(200);
    expect(new Set(sentEvents().map((e) => e.data.messageId)).size).toBe(200);
    expect(sentEvents()).toHaveLength(200);

    const sentAtOf = new Map(sends.map((s) => [s.clientMessageId, s.createdAt.getTime()]));
    for (let chat = 0; chat < 10; chat++) {
      const chatId = `1555000${String(chat).padStart(4, '0')}@c.us`;
      const expected = inserted.filter((m) => m.chatId === chatId).map((m) => m.id);
      // Events of a chat are published one send after another: exactly the insert order.
      expect(sentEvents().filter((e) => e.data.chatId === chatId).map((e) => e.data.messageId)).toEqual(expected);
      // The simulated WhatsApp received them in that order too (its clock has millisecond ties).
      const times = expected.map((id) => sentAtOf.get(id)!);
      expect(times).toEqual([...times].sort((x, y) => x - y));
    }
  });

  it('retries injected send failures, then fails a message for good with the engine reason', async () => {
    const { sut, mocks } = await setup();
    const { session, seen, a } = await sut.readySession('faults');

    await a.engine.injectFault(session.id, { kind: 'send_failure', count: 2 });
    const flaky = await mocks.insert(session.id, '15550002222@c.us', 'eventually');
    await a.loops.acceptOwned(session.id, { messageId: flaky.id });
    await waitFor('flaky sent', async () => (await mocks.row(flaky.id)).status === 'sent', { intervalMs: 20 });
    const flakyFailures = seen.filter((e) => e.type === 'message.failed' && e.data.messageId === flaky.id);
    expect(flakyFailures.map((e) => [e.data.attempts, e.data.final])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect((await mocks.row(flaky.id)).timeline.map((t) => t.status)).toEqual(['pending', 'sending', 'pending', 'sending', 'pending', 'sending', 'sent']);

    await a.engine.injectFault(session.id, { kind: 'send_failure', count: 3 });
    const doomed = await mocks.insert(session.id, '15550002222@c.us', 'never');
    await a.loops.acceptOwned(session.id, { messageId: doomed.id });
    await waitFor('doomed failed', async () => (await mocks.row(doomed.id)).status === 'failed', { intervalMs: 20 });
    expect((await mocks.row(doomed.id)).failureReason).toBe('send failed: simulated send failure (injected fault)');
    await waitFor('final failure event', () =>
      seen.some((e) => e.type === 'message.failed' && e.data.messageId === doomed.id && e.data.final === true && e.data.attempts === 3),
    );
    expect((await mocks.engineSends(session.id)).map((s) => s.clientMessageId)).toEqual([flaky.id]);
  });

  it('quotes and reacts by our message id: the simulator gets the WhatsApp id; an unresolvable or unknown target fails at once', async () => {
    const { sut, mocks } = await setup();
    const { session, seen, a } = await sut.readySession('quotes');
    const chatId = '15550008888@c.us';
    const send = async (type: 'reply' | 'reaction', payload: Record<string, unknown>, body: string | null = null) => {
      const { message } = await mocks.messages.insertPending({ sessionId: session.id, chatId, from: 'me', to: chatId, type, body, payload });
      await a.loops.acceptOwned(session.id, { messageId: message.id });
      return message;
    };
    const settledRow = (id: string) =>
      waitFor(`message ${id} settled`, async () => {
        const row = await mocks.row(id);
        return row.status === 'sent' || row.status === 'failed' ? row : null;
      });

    const original = await mocks.insert(session.id, chatId, 'the original');
    await a.loops.acceptOwned(session.id, { messageId: original.id });
    const originalWaId = (await settledRow(original.id)).waMessageId!;
    const reply = await send('reply', { quotedMessageId: original.id }, 'about that');
    const reaction = await send('reaction', { quotedMessageId: original.id, emoji: '👍' });
    const unknownOurs = await send('reaction', { quotedMessageId: '0190a3c4-0000-7000-8000-00000000dead', emoji: '👍' });
    const unknownTheirs = await send('reaction', { quotedMessageId: 'SIM.NOSUCHMESSAGE', emoji: '👍' });

    expect(await settledRow(reply.id)).toMatchObject({ status: 'sent' });
    expect(await settledRow(reaction.id)).toMatchObject({ status: 'sent' });
    const received = await mocks.simulator.findSend(session.id, reply.id);
    expect(received?.payload.quotedMessageId).toBe(originalWaId);
    expect((await mocks.simulator.findSend(session.id, reaction.id))?.payload).toMatchObject({ quotedMessageId: originalWaId, emoji: '👍' });

    expect(await settledRow(unknownOurs.id)).toMatchObject({
      status: 'failed',
      failureReason: 'quotedMessageId 0190a3c4-0000-7000-8000-00000000dead: no message of this session has that id',
    });
    expect(await settledRow(unknownTheirs.id)).toMatchObject({
      status: 'failed',
      failureReason: 'send failed: the simulated WhatsApp does not know message "SIM.NOSUCHMESSAGE" (the one quoted or reacted to)',
    });
    for (const failed of [unknownOurs, unknownTheirs]) {
      // One try each (SEND_MAX_ATTEMPTS is 3), final at once; nothing reached the simulated WhatsApp.
      await waitFor('the final message.failed', () => seen.some((e) => e.type === 'message.failed' && e.data.messageId === failed.id));
      expect(seen.filter((e) => e.type === 'message.failed' && e.data.messageId === failed.id).map((e) => [e.data.attempts, e.data.final])).toEqual([[1, true]]);
      expect(await mocks.simulator.findSend(session.id, failed.id)).toBeNull();
    }
  });

  it('reconciles rows an older generation left sending: found → sent without a second send; not found → sent once', async () => {
    const { sut, mocks } = await setup();
    const session = await mocks.pairedSession('takeover');
    // A worker that died mid-send: it held the lease, took two rows to sending, and one reached WhatsApp.
    const oldGeneration = (await mocks.sessions.claim(session.id, 'dead-worker', 5_000))!;
    const reached = await mocks.insert(session.id, '15550003333@c.us', 'reached');
    const lost = await mocks.insert(session.id, '15550003333@c.us', 'lost');
    const after = await mocks.insert(session.id, '15550003333@c.us', 'after');
    for (const m of [reached, lost]) expect((await mocks.messages.transition(m.id, 'sending', { generation: oldGeneration })).applied).toBe(true);
    const earlier = await mocks.simulator.recordSend({
      sessionId: session.id,
      clientMessageId: reached.id,
      waMessageId: 'wa-reached-before-crash',
      chatId: reached.chatId,
      type: 'text',
      body: 'reached',
    });
    await mocks.orm.em.fork().nativeUpdate(SessionEntity, { id: session.id }, { leaseExpiresAt: new Date(Date.now() - 1) });

    const b = await sut.worker('worker-b');
    await b.supervisor.sweep();
    expect(b.supervisor.runner(session.id)!.generation).toBe(oldGeneration + 1);
    await waitFor('all three sent', async () => {
      const rows = await Promise.all([reached, lost, after].map((m) => mocks.row(m.id)));
      return rows.every((r) => r.status === 'sent');
    });
    expect((await mocks.row(reached.id)).waMessageId).toBe(earlier.message.waMessageId);
    const sends = await mocks.engineSends(session.id);
    expect(sends.map((s) => s.clientMessageId).sort()).toEqual([reached.id, lost.id, after.id].sort());
    expect((await mocks.row(lost.id)).leaseGeneration).toBe(oldGeneration + 1);
  });

  it('a second worker forwards a send job to the owner over NATS; no owner → retried; stopped session → completed', async ({ skip }) => {
    skip(!(await backendReachable('NATS', testBackends.natsUrl)), 'NATS is unreachable');
    const { sut, mocks } = await setup();
    const prefix = uniqueName('sendtest');
    const stream = uniqueName('SEND_TEST').replace(/-/g, '_');
    const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
    const natsBus = async (name: string) => {
      const bus = new NatsBusAdapter({
        servers: [testBackends.natsUrl],
        name,
        requestTimeoutMs: 2_000,
        eventsStream: stream,
        eventsMaxAgeMs: 600_000,
        subjectPrefix: prefix,
        logger: quiet,
      });
      await bus.connect();
      return bus;
    };
    const busA = await natsBus('send-owner');
    const busB = await natsBus('send-forwarder');
    cleanups.push(async () => {
      await busA.close();
      await busB.close();
      const nc = await connect({ servers: testBackends.natsUrl });
      await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined);
      await nc.close();
    });

    const session = await mocks.pairedSession('forwarded');
    const seen = await mocks.events(busB);
    const a = await sut.worker('owner', { bus: busA });
    await a.supervisor.sweep();
    await waitFor('owner ready', async () => (await mocks.sessions.get(session.id))?.status === 'ready');
    const b = await sut.worker('forwarder', { bus: busB });
    expect(b.loops.get(session.id)).toBeUndefined();

    const message = await mocks.insert(session.id, '15550004444@c.us', 'via the owner');
    await b.queue.add(QueueName.MessagesSend, 'send', { sessionId: session.id, messageId: message.id }, { jobId: `${session.id}-${message.id}`, ...SEND_JOB_OPTIONS });
    const job = await waitFor('job completed', async () => {
      const info = await b.queue.getJob(QueueName.MessagesSend, `${session.id}-${message.id}`);
      return info?.state === 'completed' ? info : null;
    });
    expect(job.returnValue).toEqual({ accepted: 1, via: 'forwarded' });
    await waitFor('sent by the owner', async () => (await mocks.row(message.id)).status === 'sent');
    await waitFor('message.sent seen on NATS', () => seen.some((e) => e.type === 'message.sent' && e.data.messageId === message.id));

    // Nobody owns this one: the job fails and stays for a retry, the row stays pending.
    const orphan = await mocks.sessions.create({ name: 'orphan', engine: 'simulator', desiredState: 'running' });
    const waiting = await mocks.insert(orphan.id, '15550005555@c.us', 'later');
    await b.queue.add(QueueName.MessagesSend, 'send', { sessionId: orphan.id, messageId: waiting.id }, { jobId: `${orphan.id}-${waiting.id}`, ...SEND_JOB_OPTIONS });
    await waitFor('a failed try', async () => ((await b.queue.getJob(QueueName.MessagesSend, `${orphan.id}-${waiting.id}`))?.attemptsMade ?? 0) >= 1);
    expect((await b.queue.getJob(QueueName.MessagesSend, `${orphan.id}-${waiting.id}`))?.state).not.toBe('completed');
    expect((await mocks.row(waiting.id)).status).toBe('pending');

    // Stopped on purpose: the job completes, the row waits pending for the next start.
    const stopped = await mocks.sessions.create({ name: 'stopped', engine: 'simulator', desiredState: 'stopped' });
    const parked = await mocks.insert(stopped.id, '15550006666@c.us', 'parked');
    await b.queue.add(QueueName.MessagesSend, 'send', { sessionId: stopped.id, messageId: parked.id }, { jobId: `${stopped.id}-${parked.id}`, ...SEND_JOB_OPTIONS });
    const parkedJob = await waitFor('parked job completed', async () => {
      const info = await b.queue.getJob(QueueName.MessagesSend, `${stopped.id}-${parked.id}`);
      return info?.state === 'completed' ? info : null;
    });
    expect(parkedJob.returnValue).toEqual({ accepted: 0, via: 'deferred' });
    expect((await mocks.row(parked.id)).status).toBe('pending');
  });

  it('sends a spaced bulk batch when due and marks the batch completed', async () => {
    const { sut, mocks } = await setup();
    const session = await mocks.pairedSession('batch');
    const batch = await mocks.batches.create({ sessionId: session.id, total: 5, delayMs: 30 });
    const start = Date.now();
    for (let i = 0; i < 5; i++) {
      await mocks.messages.insertPending({
        sessionId: session.id,
        chatId: '15550007777@c.us',
        from: 'me',
        to: '15550007777@c.us',
        type: 'text',
        body: `item ${i}`,
        batchId: batch.id,
        dueAt: new Date(start + i * 30),
      });
    }
    const a = await sut.worker('worker-a');
    await a.supervisor.sweep();
    // Read the row itself: `batches.get` would mark the batch completed on its own.
    const stored = () => mocks.orm.em.fork().findOneOrFail(MessageBatchEntity, { id: batch.id });
    await waitFor('batch completed by the loop', async () => (await stored()).status === 'completed');
    const progress = (await mocks.batches.get(batch.id))!;
    expect(progress).toMatchObject({ sent: 5, failed: 0, pending: 0 });
  });
});
