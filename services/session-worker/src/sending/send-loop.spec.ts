import type { SessionStatusValue } from '@plugboard/contracts';
import { type DueQuery, type MessageEntity, type TransitionOptions, type TransitionResult, canTransition } from '@plugboard/database';
import { EngineError } from '../engine/engine.errors';
import type { EngineSession, OutboundMessage, SendLookup, SendResult } from '../engine/engine.port';
import { SendLoop, type SendLoopMessages, type SendLoopRunner } from './send-loop';
import { TokenBucket } from './token-bucket';

/** In-memory rows with the repository's transition rules. */
class FakeMessages implements SendLoopMessages {
  readonly rows = new Map<string, MessageEntity>();
  dueQueries = 0;
  private seq = 0;

  add(chatId: string, extra: Partial<MessageEntity> = {}): MessageEntity {
    const id = `m${String(++this.seq).padStart(4, '0')}`;
    const row = { id, sessionId: 's1', chatId, type: 'text', body: id, payload: {}, status: 'pending', dueAt: new Date(0), createdAt: new Date(0), ...extra } as MessageEntity;
    this.rows.set(id, row);
    return row;
  }
  async get(id: string) {
    return this.rows.get(id) ?? null;
  }
  async listDue(_sessionId: string, query: DueQuery) {
    this.dueQueries++;
    await new Promise((r) => setTimeout(r, 5));
    const exclude = new Set(query.excludeIds ?? []);
    return [...this.rows.values()]
      .filter((r) => r.status === 'pending' && r.dueAt <= query.now && !exclude.has(r.id))
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.id.localeCompare(b.id))
      .slice(0, query.limit);
  }
  async nextDueAt(_sessionId: string, after: Date) {
    const next = [...this.rows.values()].filter((r) => r.status === 'pending' && r.dueAt > after).map((r) => r.dueAt.getTime());
    return next.length ? new Date(Math.min(...next)) : null;
  }
  async listSendingForSession() {
    return [...this.rows.values()].filter((r) => r.status === 'sending');
  }
  async transition(id: string, to: MessageEntity['status'], options: TransitionOptions = {}): Promise<TransitionResult> {
    const row = this.rows.get(id);
    if (!row) return { applied: false, reason: 'not_found', message: null };
    if (!canTransition(row, to, options.generation)) return { applied: false, reason: 'invalid_transition', message: row };
    row.status = to;
    if (to === 'sending') row.leaseGeneration = options.generation;
    if (to === 'sent') Object.assign(row, { waMessageId: options.waMessageId, sentAt: options.at });
    if (to === 'failed') row.failureReason = options.failureReason;
    return { applied: true, message: { ...row } };
  }
}

class FakeEngineSession {
  readonly sent: OutboundMessage[] = [];
  readonly tried: OutboundMessage[] = [];
  failures = 0;
  /** WhatsApp ids the fake WhatsApp does not know: quoting or reacting to one is refused for good. */
  readonly unknownTargets = new Set<string>();
  lookups = new Map<string, SendLookup>();
  async send(message: OutboundMessage): Promise<SendResult> {
    await new Promise((r) => setTimeout(r, 1));
    this.tried.push(message);
    if (message.quotedMessageId && this.unknownTargets.has(message.quotedMessageId)) {
      throw EngineError.sendImpossible(`WhatsApp does not know message "${message.quotedMessageId}"`);
    }
    if (this.failures > 0) {
      this.failures--;
      throw EngineError.sendFailed('no network');
    }
    this.sent.push(message);
    return { waMessageId: `wa-${message.clientMessageId}`, timestamp: new Date() };
  }
  async findSent(id: string): Promise<SendLookup> {
    return this.lookups.get(id) ?? { found: false };
  }
}

class FakeRunner implements SendLoopRunner {
  readonly listeners = new Set<(status: SessionStatusValue) => void>();
  constructor(
    readonly generation: number,
    readonly session: FakeEngineSession,
  ) {}
  get engine() {
    return this.session as unknown as EngineSession;
  }
  onStatus(listener: (status: SessionStatusValue) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(status: SessionStatusValue) {
    this.listeners.forEach((l) => l(status));
  }
}

function setup(options: { maxAttempts?: number; generation?: number } = {}) {
  const messages = new FakeMessages();
  const engine = new FakeEngineSession();
  const runner = new FakeRunner(options.generation ?? 1, engine);
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const batchChecks: string[] = [];
  const loop = new SendLoop({
    sessionId: 's1',
    runner,
    messages,
    batches: {
      get: async (id: string) => {
        batchChecks.push(id);
        return null;
      },
    },
    publish: async (type, data) => void events.push({ type, data }),
    bucket: new TokenBucket(0, 1),
    maxAttempts: options.maxAttempts ?? 3,
    retryDelayMs: 5,
    log: { log: () => undefined, warn: () => undefined },
    fillLimit: 8,
  });
  loop.start();
  return { sut: loop, mocks: { messages, engine, runner, events, batchChecks } };
}

const settle = (ms = 20) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await settle(5);
  expect(check()).toBe(true);
}

describe('SendLoop (fake repository and engine)', () => {
  it('sends nothing before the session is ready, then everything, keeping each chat in order', async () => {
    const { sut, mocks } = setup();
    const rows = Array.from({ length: 30 }, (_, i) => mocks.messages.add(`chat${i % 4}`));
    sut.wake();
    await settle();
    expect(mocks.engine.sent).toHaveLength(0);

    mocks.runner.set('ready');
    await until(() => mocks.engine.sent.length === 30);
    for (let chat = 0; chat < 4; chat++) {
      const sentOrder = mocks.engine.sent.filter((m) => m.to === `chat${chat}`).map((m) => m.clientMessageId);
      expect(sentOrder).toEqual(rows.filter((r) => r.chatId === `chat${chat}`).map((r) => r.id));
    }
    expect([...mocks.messages.rows.values()].every((r) => r.status === 'sent')).toBe(true);
    expect(mocks.events.filter((e) => e.type === 'message.sent')).toHaveLength(30);
    await sut.close({ wait: true });
  });

  it('coalesces wake-ups: a burst of accepts costs a couple of queries, not one each', async () => {
    const { sut, mocks } = setup();
    mocks.runner.set('ready');
    await until(() => mocks.messages.dueQueries >= 1);
    await settle();
    const before = mocks.messages.dueQueries;
    const rows = Array.from({ length: 6 }, () => mocks.messages.add('c'));
    await Promise.all(rows.map((r) => sut.accept({ messageId: r.id })));
    for (let i = 0; i < 100; i++) sut.wake();
    await until(() => mocks.engine.sent.length === 6);
    expect(mocks.messages.dueQueries - before).toBeLessThanOrEqual(3);
    await sut.close({ wait: true });
  });

  it('retries an engine error from pending, then fails it for good with the reason; never dropped', async () => {
    const { sut, mocks } = setup({ maxAttempts: 3 });
    const flaky = mocks.messages.add('c');
    mocks.engine.failures = 2;
    mocks.runner.set('ready');
    await until(() => mocks.messages.rows.get(flaky.id)!.status === 'sent');
    expect(mocks.events.filter((e) => e.type === 'message.failed').map((e) => [e.data.attempts, e.data.final])).toEqual([
      [1, false],
      [2, false],
    ]);

    const doomed = mocks.messages.add('c');
    mocks.engine.failures = 3;
    sut.wake();
    await until(() => mocks.messages.rows.get(doomed.id)!.status === 'failed');
    expect(mocks.messages.rows.get(doomed.id)!.failureReason).toBe('send failed: no network');
    expect(mocks.events.filter((e) => e.type === 'message.failed' && e.data.messageId === doomed.id).at(-1)!.data).toMatchObject({
      attempts: 3,
      final: true,
    });
    await sut.close({ wait: true });
  });

  it('hands the engine the WhatsApp id of a message quoted by our id; an id of ours without one fails at once, never reaching the engine', async () => {
    const { sut, mocks } = setup({ maxAttempts: 3 });
    const original = mocks.messages.add('c');
    const reply = mocks.messages.add('c', { type: 'reply', payload: { quotedMessageId: '0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b' } });
    mocks.messages.rows.set('0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b', { ...original, id: '0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b', status: 'sent', waMessageId: 'wa-original' });
    const orphan = mocks.messages.add('d', { type: 'reaction', payload: { quotedMessageId: '0190a3c4-0000-7000-8000-00000000dead', emoji: '👍' } });
    mocks.runner.set('ready');
    await until(() => mocks.messages.rows.get(reply.id)!.status === 'sent' && mocks.messages.rows.get(orphan.id)!.status === 'failed');
    expect(mocks.engine.sent.find((m) => m.clientMessageId === reply.id)?.quotedMessageId).toBe('wa-original');
    expect(mocks.engine.tried.map((m) => m.clientMessageId)).not.toContain(orphan.id);
    expect(mocks.messages.rows.get(orphan.id)!.failureReason).toBe('quotedMessageId 0190a3c4-0000-7000-8000-00000000dead: no message of this session has that id');
    expect(mocks.events.filter((e) => e.data.messageId === orphan.id).map((e) => [e.type, e.data.attempts, e.data.final])).toEqual([['message.failed', 1, true]]);
    await sut.close({ wait: true });
  });

  it('fails a message at once when the engine says no try can work (a reaction whose target WhatsApp does not know)', async () => {
    const { sut, mocks } = setup({ maxAttempts: 3 });
    mocks.engine.unknownTargets.add('true_15550001111@c.us_GONE');
    const reaction = mocks.messages.add('c', { type: 'reaction', payload: { quotedMessageId: 'true_15550001111@c.us_GONE', emoji: '👍' } });
    mocks.runner.set('ready');
    await until(() => mocks.messages.rows.get(reaction.id)!.status === 'failed');
    expect(mocks.engine.tried).toHaveLength(1);
    expect(mocks.messages.rows.get(reaction.id)!.failureReason).toBe('send failed: WhatsApp does not know message "true_15550001111@c.us_GONE"');
    expect(mocks.events.map((e) => [e.type, e.data.attempts, e.data.final])).toEqual([['message.failed', 1, true]]);
    await sut.close({ wait: true });
  });

  it('reconciles rows an older generation left sending before anything else', async () => {
    const { sut, mocks } = setup({ generation: 5 });
    const found = mocks.messages.add('c', { status: 'sending', leaseGeneration: 4 });
    const lost = mocks.messages.add('c', { status: 'sending', leaseGeneration: 4 });
    const unknown = mocks.messages.add('d', { status: 'sending', leaseGeneration: 4 });
    const later = mocks.messages.add('c');
    mocks.engine.lookups.set(found.id, { found: true, result: { waMessageId: 'wa-old', timestamp: new Date() } });
    mocks.engine.lookups.set(unknown.id, { found: 'unknown', reason: 'cannot tell' });
    mocks.runner.set('ready');
    await until(() => mocks.messages.rows.get(later.id)!.status === 'sent');
    expect(mocks.messages.rows.get(found.id)).toMatchObject({ status: 'sent', waMessageId: 'wa-old' });
    expect(mocks.messages.rows.get(unknown.id)).toMatchObject({ status: 'failed', failureReason: 'unknown_outcome' });
    expect(mocks.engine.sent.map((m) => m.clientMessageId)).toEqual([lost.id, later.id]);
    await sut.close({ wait: true });
  });

  it('checks a batch once its last held row settles', async () => {
    const { sut, mocks } = setup();
    for (let i = 0; i < 5; i++) mocks.messages.add(`c${i}`, { batchId: 'b1' });
    mocks.runner.set('ready');
    await until(() => mocks.engine.sent.length === 5);
    await settle();
    expect(mocks.batchChecks).toEqual(['b1']);
    await sut.close({ wait: true });
  });
});
