import type { MikroORM } from '@mikro-orm/core';
import { ErrorCode } from '@plugboard/contracts';
import { SimulatorRepository } from '@plugboard/database';
import { uniqueName, waitFor } from '@plugboard/testing';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { EngineError } from '../engine.errors';
import type { EngineEvent, EngineSession, OutboundMessage } from '../engine.port';
import { SimulatorEngineAdapter } from '../simulator-engine.adapter';
import type { SimulatorTiming } from '../simulator-session';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
const FAST: SimulatorTiming = { qrRotateMs: 80, autoPairMs: 0, ackDelayMs: 20 };

/** A session with every event it emitted, and a way to wait for one. */
function watched(session: EngineSession) {
  const events: EngineEvent[] = [];
  session.onEvent((event) => events.push(event));
  const waitForEvent = <T extends EngineEvent['type']>(type: T, count = 1) =>
    waitFor(`${count} "${type}" event(s)`, () => {
      const found = events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
      return found.length >= count ? found : undefined;
    }, { timeoutMs: 10_000, intervalMs: 10 });
  return { session, events, waitForEvent };
}

function text(clientMessageId = randomUUID(), body = 'hello'): OutboundMessage {
  return { clientMessageId, to: '15557654321@c.us', type: 'text', text: body };
}

/**
 * The simulator's behaviour against one real database. `open` gives a fresh, prepared
 * database; several adapters on it stand for several workers.
 */
export function simulatorContract(open: () => Promise<{ orm: MikroORM; close: () => Promise<void> }>): void {
  let orm: MikroORM;
  let close: () => Promise<void>;
  const adapters: SimulatorEngineAdapter[] = [];

  beforeAll(async () => {
    ({ orm, close } = await open());
  });
  afterEach(async () => {
    await Promise.all(adapters.splice(0).map((adapter) => adapter.close()));
  });
  afterAll(async () => {
    await close?.();
  });

  const adapter = (timing: Partial<SimulatorTiming> = {}) => {
    const created = new SimulatorEngineAdapter(new SimulatorRepository(orm), { ...FAST, ...timing }, silent);
    adapters.push(created);
    return created;
  };
  const newSessionId = () => uniqueName('sim').replace(/[^A-Za-z0-9_-]/g, '_');

  async function readySession(engine = adapter(), sessionId = newSessionId()) {
    await engine.pair(sessionId);
    const w = watched(engine.createSession({ sessionId, config: {} }));
    await w.session.initialize();
    await w.waitForEvent('ready');
    return { ...w, sessionId, engine };
  }

  it('shows rotating QR codes with an expiry until the phone is paired', async () => {
    const sessionId = newSessionId();
    const { session, waitForEvent } = watched(adapter().createSession({ sessionId, config: {} }));
    const before = Date.now();
    await session.initialize();
    const qrs = await waitForEvent('qr', 3);
    expect(qrs[0].qr).toMatch(new RegExp(`^SIMULATOR-QR:${sessionId}:1:[0-9a-f]+$`));
    expect(qrs[1].qr).toMatch(new RegExp(`^SIMULATOR-QR:${sessionId}:2:`));
    expect(new Set(qrs.map((q) => q.qr)).size).toBe(3);
    expect(qrs[0].expiresAt.getTime()).toBeGreaterThanOrEqual(before + FAST.qrRotateMs);
  });

  it('goes authenticated then ready when an admin pairs it', async () => {
    const engine = adapter({ qrRotateMs: 60_000 });
    const sessionId = newSessionId();
    const { session, events, waitForEvent } = watched(engine.createSession({ sessionId, config: {} }));
    await session.initialize();
    await waitForEvent('qr');
    const pairing = await engine.pair(sessionId);
    const [ready] = await waitForEvent('ready');
    expect(pairing).toMatchObject({ sessionId, phone: expect.stringMatching(/^1555000\d{4}$/), pushName: 'Simulator' });
    expect(ready).toEqual({ type: 'ready', phone: pairing.phone, pushName: 'Simulator' });
    expect(events.map((e) => e.type)).toEqual(['qr', 'authenticated', 'ready']);
  });

  it('pairs by itself after SIMULATOR_AUTO_PAIR_MS', async () => {
    const { session, waitForEvent } = watched(adapter({ autoPairMs: 50, qrRotateMs: 60_000 }).createSession({ sessionId: newSessionId(), config: {} }));
    await session.initialize();
    const [ready] = await waitForEvent('ready');
    expect(ready.phone).toMatch(/^1555000\d{4}$/);
  });

  it('is ready at once, without a QR code, when the phone is already paired', async () => {
    const { events } = await readySession();
    expect(events.map((e) => e.type)).toEqual(['authenticated', 'ready']);
  });

  it('notices a pairing made by another worker while showing QR codes', async () => {
    const sessionId = newSessionId();
    const { session, waitForEvent } = watched(adapter().createSession({ sessionId, config: {} }));
    await session.initialize();
    await waitForEvent('qr');
    await adapter().pair(sessionId);
    await waitForEvent('ready');
  });

  it('records a send once per clientMessageId, even when sent twice at the same time', async () => {
    const { session, sessionId } = await readySession();
    const message = text();
    const [a, b] = await Promise.all([session.send(message), session.send(message)]);
    const c = await session.send(message);
    expect(a.waMessageId).toMatch(/^SIM\.[0-9A-F]+$/);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const rows = await new SimulatorRepository(orm).listMessages(sessionId, 'out');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ clientMessageId: message.clientMessageId, chatId: message.to, type: 'text', body: 'hello' });
  });

  it('acks a sent message sent → delivered → read, as message_ack events', async () => {
    const { session, events, waitForEvent, sessionId } = await readySession();
    const { waMessageId } = await session.send(text());
    await waitForEvent('message_ack', 3);
    const acks = events.filter((e) => e.type === 'message_ack');
    expect(acks).toEqual(['sent', 'delivered', 'read'].map((ack) => ({ type: 'message_ack', waMessageId, ack })));
    const [row] = await new SimulatorRepository(orm).listMessages(sessionId, 'out');
    expect(row.ack).toBe('read');
  });

  it('answers findSent exactly', async () => {
    const { session } = await readySession();
    const message = text();
    const result = await session.send(message);
    expect(await session.findSent(message.clientMessageId, message.to)).toEqual({ found: true, result });
    expect(await session.findSent(randomUUID(), message.to)).toEqual({ found: false });
  });

  it('takes the bytes of outbound media and records their size and digest', async () => {
    const { session, sessionId } = await readySession();
    const bytes = Buffer.from('fake png bytes');
    await session.send({
      clientMessageId: randomUUID(),
      to: '15557654321@c.us',
      type: 'image',
      caption: 'look',
      media: { mediaId: 'm1', mimeType: 'image/png', openMedia: async () => Readable.from([bytes]) },
    });
    const [row] = await new SimulatorRepository(orm).listMessages(sessionId, 'out');
    expect(row.body).toBe('look');
    expect(row.payload.media).toMatchObject({ mediaId: 'm1', mimeType: 'image/png', bytes: bytes.length, sha256: expect.any(String) });
  });

  it('delivers injected inbound text and media as message events, media bytes through download()', async () => {
    const { engine, sessionId, waitForEvent } = await readySession();
    const text = await engine.inject(sessionId, { from: '15551112222@c.us', type: 'text', body: 'hi there' });
    const bytes = Buffer.from([0, 1, 2, 3, 254, 255]);
    const image = await engine.inject(sessionId, {
      from: '15551112222@c.us',
      chatId: '12036300000000@g.us',
      type: 'image',
      body: 'caption',
      media: { mimeType: 'image/jpeg', filename: 'a.jpg', dataBase64: bytes.toString('base64') },
    });
    const [first, second] = (await waitForEvent('message', 2)).map((e) => e.message);
    expect(first).toMatchObject({ waMessageId: text.waMessageId, chatId: '15551112222@c.us', from: '15551112222@c.us', type: 'text', body: 'hi there' });
    expect(first.to).toMatch(/^1555000\d{4}@c\.us$/);
    expect(second).toMatchObject({ waMessageId: image.waMessageId, chatId: '12036300000000@g.us', type: 'image' });
    expect(second.media).toMatchObject({ mimeType: 'image/jpeg', filename: 'a.jpg', size: bytes.length });
    const chunks: Buffer[] = [];
    for await (const chunk of await second.media!.download()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(bytes);
  });

  it('fails the next `count` sends with SEND_FAILED after a send_failure fault, storing nothing for them', async () => {
    const { engine, session, sessionId } = await readySession();
    expect(await engine.injectFault(sessionId, { kind: 'send_failure', count: 2 })).toEqual({
      sessionId,
      kind: 'send_failure',
      pendingSendFailures: 2,
    });
    for (let i = 0; i < 2; i++) {
      const error = await session.send(text()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineError);
      expect(error).toMatchObject({ code: ErrorCode.SendFailed, message: expect.stringContaining('injected fault') });
    }
    await expect(session.send(text())).resolves.toMatchObject({ waMessageId: expect.stringMatching(/^SIM\./) });
    expect(await new SimulatorRepository(orm).listMessages(sessionId, 'out')).toHaveLength(1);
  });

  it('emits disconnected on a disconnect fault, and refuses faults for sessions it does not run', async () => {
    const { engine, sessionId, waitForEvent } = await readySession();
    await engine.injectFault(sessionId, { kind: 'disconnect' });
    const [event] = await waitForEvent('disconnected');
    expect(event.reason).toMatch(/simulated disconnect/);
    await expect(engine.injectFault('nobody-here', { kind: 'disconnect' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(engine.inject('nobody-here', { from: 'x@c.us', type: 'text', body: 'x' })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
  });

  it('refuses sends while not connected', async () => {
    const session = adapter().createSession({ sessionId: newSessionId(), config: {} });
    await expect(session.send(text())).rejects.toMatchObject({ code: ErrorCode.SendFailed });
  });

  it('survives a move to another worker: pairing, sends and pending acks stay in the database', async () => {
    const sessionId = newSessionId();
    // Worker A acks slowly, and stops before any ack is due.
    const a = await readySession(adapter({ ackDelayMs: 60_000 }), sessionId);
    const message = text();
    const sent = await a.session.send(message);
    await a.session.destroy();
    await a.session.destroy();

    const b = watched(adapter().createSession({ sessionId, config: {} }));
    await b.session.initialize();
    await b.waitForEvent('ready');
    expect(b.events.some((e) => e.type === 'qr')).toBe(false);
    expect(await b.session.findSent(message.clientMessageId, message.to)).toEqual({ found: true, result: sent });
    expect(await b.session.send(message)).toEqual(sent);
    const acks = await b.waitForEvent('message_ack', 3);
    expect(acks.map((e) => [e.waMessageId, e.ack])).toEqual([
      [sent.waMessageId, 'sent'],
      [sent.waMessageId, 'delivered'],
      [sent.waMessageId, 'read'],
    ]);
    expect(await new SimulatorRepository(orm).listMessages(sessionId, 'out')).toHaveLength(1);
  });

  it('shows QR codes again after a logout', async () => {
    const { engine, session, sessionId } = await readySession();
    await session.logout();
    await session.destroy();
    const again = watched(engine.createSession({ sessionId, config: {} }));
    await again.session.initialize();
    await again.waitForEvent('qr');
    expect((await new SimulatorRepository(orm).getDevice(sessionId))?.paired).toBe(false);
  });

  it('reports itself as the simulator, not WhatsApp, in health', async () => {
    expect(await adapter().health()).toEqual({ socket: 'engine', plug: 'simulator', status: 'up', detail: 'simulator — not WhatsApp' });
  });
}
