import type { MikroORM } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '@plugboard/config';
import { type EventEnvelope, MessageViewSchema } from '@plugboard/contracts';
import { MessageAnnouncementRepository, MessageRepository, SessionRepository, openDatabase } from '@plugboard/database';
import { MemoryBusAdapter } from '@plugboard/messaging';
import { MetricsService, createServiceLogger } from '@plugboard/service-kit';
import { waitFor } from '@plugboard/testing';
import type { EngineEvent, InboundMessage } from '../engine/engine.port';
import { SendsInFlight } from '../sessions/sends-in-flight';
import { derivedEventId, publishSessionEvent } from '../sessions/session-events';
import type { OwnershipListener, SessionSupervisor } from '../sessions/session-supervisor';
import { MemoryMediaStreams } from './__tests__/memory-media-streams';
import { inboundMediaId } from './inbound-media';
import { InboundRecorder, type InboundSettings } from './inbound-recorder';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setup(settings: Partial<InboundSettings> = {}, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pb-inbound-'));
  dirs.push(dir);
  const config = loadConfig({ cwd: dir, env: { DATA_DIR: dir, LOG_LEVEL: 'error', ...env } });
  const orm: MikroORM = await openDatabase(config);
  const bus = new MemoryBusAdapter();
  await bus.connect();
  const events: EventEnvelope[] = [];
  await bus.subscribeEvents({}, (event) => void events.push(event));
  const messages = new MessageRepository(orm);
  const sessions = new SessionRepository(orm);
  const media = new MemoryMediaStreams();
  const logger = createServiceLogger('inbound-test', 'error');
  const warn = vi.spyOn(logger, 'warn');
  const debug = vi.spyOn(logger, 'debug');
  const metrics = new MetricsService('session-worker');
  const supervisor = {
    engineListeners: new Set<(sessionId: string, event: EngineEvent) => void>(),
    ownershipListeners: new Set<OwnershipListener>(),
  };
  const announcements = new MessageAnnouncementRepository(orm);
  const sendsInFlight = new SendsInFlight();
  const sut = new InboundRecorder(
    supervisor as unknown as SessionSupervisor,
    messages,
    announcements,
    sendsInFlight,
    media,
    bus,
    logger,
    metrics,
    config,
    settings,
  );
  sut.onModuleInit();
  cleanups.push(async () => {
    await sut.beforeApplicationShutdown();
    await bus.close();
    await orm.close(true);
  });
  const session = await sessions.create({ name: `s-${Date.now()}`, engine: 'simulator', desiredState: 'running' });
  const emit = (event: EngineEvent, sessionId = session.id) => supervisor.engineListeners.forEach((listener) => listener(sessionId, event));
  const ofType = (type: string) => events.filter((e) => e.type === type);
  // A new lease object each time, as the supervisor hands over a new runner on each adoption.
  const adopt = (lease: object = {}) => supervisor.ownershipListeners.forEach((listener) => listener.adopted(session.id, lease as never));
  // The memory bus delivers events asynchronously, in order: once a marker is seen, every earlier event is too.
  const settled = async () => {
    await sut.idle();
    const id = randomUUID();
    await publishSessionEvent(bus, session.id, 'session.status', { marker: id });
    await waitFor('the events to arrive', () => events.some((e) => e.data.marker === id));
  };
  /** An outgoing message taken to `sent` under WhatsApp id `waMessageId` (null: left `sending`), after `tries` engine tries. */
  const outgoing = async (waMessageId: string | null, tries = 1) => {
    const { message } = await messages.insertPending({ sessionId: session.id, chatId: '15550003333@c.us', from: 'me', to: '15550003333@c.us', type: 'text', body: 'hi' });
    const generation = (await sessions.claim(session.id, 'worker-a', 60_000))!;
    for (let i = 1; i < tries; i++) {
      await messages.transition(message.id, 'sending', { generation });
      await messages.transition(message.id, 'pending', { generation });
    }
    await messages.transition(message.id, 'sending', { generation });
    if (waMessageId) await messages.transition(message.id, 'sent', { waMessageId });
    return message;
  };
  return { sut, mocks: { session, emit, adopt, events, ofType, settled, messages, sessions, media, warn, debug, metrics, bus, sendsInFlight, outgoing } };
}

function text(waMessageId: string, body = 'hello'): InboundMessage {
  return { waMessageId, chatId: '15550001111@c.us', from: '15550001111@c.us', to: '15550002222@c.us', type: 'text', body, timestamp: new Date() };
}

function image(waMessageId: string, download: () => Promise<NodeJS.ReadableStream>, size?: number): InboundMessage {
  return { ...text(waMessageId), type: 'image', body: 'a caption', media: { mimeType: 'image/png', filename: 'p.png', size, download } };
}

describe('InboundRecorder (SQLite, memory bus)', () => {
  it('stores a received text message once and publishes one message.received, also when the event comes twice', async () => {
    const { mocks } = await setup();
    mocks.emit({ type: 'message', message: text('wa-1') });
    mocks.emit({ type: 'message', message: text('wa-1') });
    await mocks.settled();

    const row = await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-1');
    expect(row).toMatchObject({ direction: 'incoming', status: 'delivered', body: 'hello', chatId: '15550001111@c.us' });
    const received = mocks.ofType('message.received');
    expect(received).toHaveLength(1);
    const view = MessageViewSchema.parse(received[0].data.message);
    expect(view).toMatchObject({ id: row!.id, waMessageId: 'wa-1', direction: 'incoming', mediaId: null, revokedAt: null });
  });

  it('streams media into the media-service and publishes the message with its mediaId', async () => {
    const { mocks } = await setup();
    const bytes = Buffer.from('not really a png');
    mocks.emit({ type: 'message', message: image('wa-img', async () => Readable.from([bytes]), bytes.length) });
    await mocks.settled();

    const row = await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-img');
    expect(row?.mediaId).toEqual(expect.any(String));
    const file = mocks.media.files.get(row!.mediaId!);
    expect(file?.bytes.equals(bytes)).toBe(true);
    expect(file?.record).toMatchObject({ direction: 'inbound', sessionId: mocks.session.id, messageId: row!.id, mimeType: 'image/png', filename: 'p.png' });
    const [event] = mocks.ofType('message.received');
    expect(event.data.message).toMatchObject({ mediaId: row!.mediaId, payload: { media: { mimeType: 'image/png', size: bytes.length } } });
  });

  it('keeps and publishes a message whose media failed, with payload.mediaError', async () => {
    const { mocks } = await setup({}, { MEDIA_MAX_BYTES: '10' });
    const tooLarge = vi.fn(async () => Readable.from([Buffer.alloc(11)]));
    mocks.emit({ type: 'message', message: image('wa-broken', async () => Promise.reject(new Error('download failed: gone'))) });
    mocks.emit({ type: 'message', message: image('wa-large', tooLarge, 11) });
    await mocks.settled();

    expect(tooLarge).not.toHaveBeenCalled();
    const broken = await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-broken');
    expect(broken).toMatchObject({ mediaId: null, payload: { mediaError: 'download failed: gone' } });
    const large = await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-large');
    expect(large?.payload.mediaError).toMatch(/^PAYLOAD_TOO_LARGE/);
    const published = mocks.ofType('message.received').map((e) => e.data.message as { waMessageId: string; payload: { mediaError?: string } });
    expect(published.map((m) => m.waMessageId)).toEqual(['wa-broken', 'wa-large']);
    expect(published[0].payload.mediaError).toBe('download failed: gone');
  });

  it('handles the events of one session in order: a slow media message is published before the text after it', async () => {
    const { mocks } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    mocks.emit({ type: 'message', message: image('wa-slow', async () => (await gate, Readable.from([Buffer.from('x')]))) });
    mocks.emit({ type: 'message', message: text('wa-after') });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(mocks.ofType('message.received')).toHaveLength(0);
    release();
    await mocks.settled();
    expect(mocks.ofType('message.received').map((e) => (e.data.message as { waMessageId: string }).waMessageId)).toEqual(['wa-slow', 'wa-after']);
  });

  it('moves a sent message to delivered then read on acks that arrive before its WhatsApp id is written', async () => {
    const { mocks } = await setup();
    const { message } = await mocks.messages.insertPending({ sessionId: mocks.session.id, chatId: '15550003333@c.us', from: 'me', to: '15550003333@c.us', type: 'text', body: 'hi' });
    const generation = await mocks.sessions.claim(mocks.session.id, 'worker-a', 60_000);
    await mocks.messages.transition(message.id, 'sending', { generation: generation! });
    const endSend = mocks.sendsInFlight.begin(mocks.session.id);

    mocks.emit({ type: 'message_ack', waMessageId: 'wa-out', ack: 'sent' });
    mocks.emit({ type: 'message_ack', waMessageId: 'wa-out', ack: 'delivered' });
    mocks.emit({ type: 'message_ack', waMessageId: 'wa-out', ack: 'read' });
    // The send loop writes the id a moment later; the acks wait for it.
    await new Promise((resolve) => setTimeout(resolve, 60));
    await mocks.messages.transition(message.id, 'sent', { waMessageId: 'wa-out' });
    endSend();
    await mocks.settled();

    const row = await mocks.messages.get(message.id);
    expect(row?.status).toBe('read');
    expect(row?.timeline.map((t) => t.status)).toEqual(['pending', 'sending', 'sent', 'delivered', 'read']);
    const acks = mocks.ofType('message.ack').map((e) => e.data);
    expect(acks).toEqual([
      expect.objectContaining({ messageId: message.id, waMessageId: 'wa-out', ack: 'delivered', chatId: '15550003333@c.us' }),
      expect.objectContaining({ messageId: message.id, waMessageId: 'wa-out', ack: 'read' }),
    ]);

    // A repeated ack changes nothing and publishes nothing.
    mocks.emit({ type: 'message_ack', waMessageId: 'wa-out', ack: 'delivered' });
    await mocks.settled();
    expect(mocks.ofType('message.ack')).toHaveLength(2);
  });

  it('logs a warning when an ack never finds its message while a send was in flight, and lets the session go on meanwhile', async () => {
    const { mocks } = await setup({ ackWaitMs: 150, ackRetryMaxMs: 30 });
    const endSend = mocks.sendsInFlight.begin(mocks.session.id);
    mocks.emit({ type: 'message_ack', waMessageId: 'wa-nowhere', ack: 'read' });
    mocks.emit({ type: 'message', message: text('wa-meanwhile') });
    await waitFor('the later message', () => mocks.ofType('message.received').length === 1);
    await mocks.settled();
    expect(mocks.ofType('message.ack')).toHaveLength(0);
    expect(mocks.warn).toHaveBeenCalledWith(expect.stringContaining('wa-nowhere'), 'InboundRecorder');
    endSend();
  });

  it('drops an ack of a message sent from the phone at once when no send of the session is in flight', async () => {
    const { mocks } = await setup({ ackWaitMs: 60_000 });
    const lookups = vi.spyOn(mocks.messages, 'findByWaMessageId');
    mocks.emit({ type: 'message_ack', waMessageId: 'wa-from-phone', ack: 'delivered' });
    mocks.emit({ type: 'message_ack', waMessageId: 'wa-from-phone', ack: 'read' });
    // Settles although an ack that waited would hold the recorder for a minute.
    await mocks.settled();
    expect(lookups).not.toHaveBeenCalled();
    expect(mocks.ofType('message.ack')).toHaveLength(0);
    expect(mocks.warn).not.toHaveBeenCalledWith(expect.stringContaining('wa-from-phone'), 'InboundRecorder');
  });

  it('marks a revoked message once and publishes message.revoked; an unknown one is published with messageId null', async () => {
    const { mocks } = await setup();
    mocks.emit({ type: 'message', message: text('wa-gone') });
    mocks.emit({ type: 'message_revoked', waMessageId: 'wa-gone', chatId: '15550001111@c.us' });
    mocks.emit({ type: 'message_revoked', waMessageId: 'wa-gone', chatId: '15550001111@c.us' });
    mocks.emit({ type: 'message_revoked', waMessageId: 'wa-unknown', chatId: '15550009999@c.us' });
    await mocks.settled();

    const row = await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-gone');
    expect(row?.revokedAt).toBeInstanceOf(Date);
    const revoked = mocks.ofType('message.revoked').map((e) => e.data);
    expect(revoked).toEqual([
      { messageId: row!.id, waMessageId: 'wa-gone', chatId: '15550001111@c.us', at: row!.revokedAt!.toISOString() },
      { messageId: null, waMessageId: 'wa-unknown', chatId: '15550009999@c.us', at: expect.any(String) },
    ]);
  });

  it('publishes reactions of others in order with the received messages, with our id of the reacted message when stored', async () => {
    const { mocks } = await setup();
    const at = new Date('2026-01-01T10:00:00.000Z');
    const reaction = (waMessageId: string, emoji: string) => ({ waMessageId, chatId: '15550001111@c.us', from: '15550001111@c.us', emoji, timestamp: at });
    mocks.emit({ type: 'message', message: text('wa-liked') });
    mocks.emit({ type: 'message_reaction', reaction: reaction('wa-liked', '👍') });
    mocks.emit({ type: 'message_reaction', reaction: reaction('wa-liked', '') });
    mocks.emit({ type: 'message_reaction', reaction: reaction('wa-elsewhere', '🎉') });
    await mocks.settled();

    const row = await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-liked');
    const mine = { waMessageId: 'wa-liked', chatId: '15550001111@c.us', from: '15550001111@c.us', at: at.toISOString() };
    expect(mocks.ofType('message.reacted').map((e) => e.data)).toEqual([
      { ...mine, messageId: row!.id, emoji: '👍' },
      { ...mine, messageId: row!.id, emoji: '' },
      { ...mine, messageId: null, waMessageId: 'wa-elsewhere', emoji: '🎉' },
    ]);
  });

  it('fails a sent message WhatsApp refused afterwards, publishing a final message.failed once', async () => {
    const { mocks } = await setup();
    const message = await mocks.outgoing('wa-refused', 2);
    mocks.emit({ type: 'message_refused', waMessageId: 'wa-refused', reason: 'WhatsApp refused the message (error ack)' });
    mocks.emit({ type: 'message_refused', waMessageId: 'wa-refused', reason: 'WhatsApp refused the message (error ack)' });
    mocks.emit({ type: 'message_ack', waMessageId: 'wa-refused', ack: 'delivered' });
    await mocks.settled();

    const row = await mocks.messages.get(message.id);
    expect(row).toMatchObject({ status: 'failed', failureReason: 'WhatsApp refused the message (error ack)' });
    expect(row?.timeline.map((t) => t.status)).toEqual(['pending', 'sending', 'pending', 'sending', 'sent', 'failed']);
    expect(mocks.ofType('message.failed').map((e) => e.data)).toEqual([
      { messageId: message.id, chatId: '15550003333@c.us', batchId: null, reason: 'WhatsApp refused the message (error ack)', attempts: 2, final: true },
    ]);
    expect(mocks.ofType('message.ack')).toHaveLength(0);
    expect((await mocks.metrics.registry.getSingleMetric('plugboard_message_send_failures_total')?.get())?.values[0]?.value).toBe(1);
  });

  it('waits for the WhatsApp id of a message whose refusal overtakes its sent', async () => {
    const { mocks } = await setup();
    const message = await mocks.outgoing(null);
    const endSend = mocks.sendsInFlight.begin(mocks.session.id);
    mocks.emit({ type: 'message_refused', waMessageId: 'wa-late', reason: 'refused' });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await mocks.messages.transition(message.id, 'sent', { waMessageId: 'wa-late' });
    endSend();
    await mocks.settled();
    expect((await mocks.messages.get(message.id))?.status).toBe('failed');
    expect(mocks.ofType('message.failed').map((e) => e.data.messageId)).toEqual([message.id]);
  });

  it('logs and counts received messages of kinds we do not carry, by kind, and stores nothing', async () => {
    const { mocks } = await setup();
    mocks.emit({ type: 'message_unsupported', waMessageId: 'wa-poll', chatId: '15550001111@c.us', kind: 'poll_creation' });
    mocks.emit({ type: 'message_unsupported', waMessageId: 'wa-poll-2', chatId: '15550001111@c.us', kind: 'poll_creation' });
    mocks.emit({ type: 'message_unsupported', waMessageId: 'wa-button', chatId: '15550001111@c.us', kind: 'buttons_response' });
    await mocks.settled();

    expect(mocks.debug).toHaveBeenCalledWith(expect.stringMatching(/wa-poll of kind "poll_creation".*not stored/), 'InboundRecorder');
    const counted = await mocks.metrics.registry.getSingleMetric('plugboard_inbound_unsupported_total')?.get();
    expect(Object.fromEntries(counted!.values.map((v) => [v.labels.kind, v.value]))).toEqual({ poll_creation: 2, buttons_response: 1 });
    expect(await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-poll')).toBeNull();
    expect(mocks.events.filter((e) => e.type !== 'session.status')).toHaveLength(0);
  });

  describe('a received message whose event was not published', () => {
    const receivedIds = (events: EventEnvelope[]) => events.map((e) => (e.data.message as { waMessageId: string }).waMessageId);

    it('is published once, under the id of its first try, when WhatsApp delivers it again', async () => {
      const { mocks } = await setup();
      const publish = vi.spyOn(mocks.bus, 'publishEvent').mockRejectedValueOnce(new Error('bus down'));
      mocks.emit({ type: 'message', message: text('wa-lost') });
      await mocks.settled();
      expect(mocks.ofType('message.received')).toHaveLength(0);
      const row = await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-lost');
      expect(row).toMatchObject({ direction: 'incoming', announcedAt: null });
      const firstTry = publish.mock.calls[0]![0];

      mocks.emit({ type: 'message', message: text('wa-lost') });
      mocks.emit({ type: 'message', message: text('wa-lost') });
      await mocks.settled();
      const received = mocks.ofType('message.received');
      expect(received.map((e) => e.id)).toEqual([firstTry.id]);
      expect(firstTry.id).toBe(derivedEventId('message.received', row!.id));
      expect(firstTry.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect((await mocks.messages.get(row!.id))?.announcedAt).toBeInstanceOf(Date);
    });

    it('stores the media a redelivery brings when the first try stopped before storing it', async () => {
      const { mocks } = await setup();
      vi.spyOn(mocks.bus, 'publishEvent').mockRejectedValueOnce(new Error('bus down'));
      mocks.emit({ type: 'message', message: image('wa-pic', async () => Promise.reject(new Error('download failed: gone'))) });
      await mocks.settled();

      mocks.emit({ type: 'message', message: image('wa-pic', async () => Readable.from([Buffer.from('png')]), 3) });
      await mocks.settled();
      const row = await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-pic');
      expect(row?.mediaId).toEqual(expect.any(String));
      const [event] = mocks.ofType('message.received');
      expect(mocks.ofType('message.received')).toHaveLength(1);
      expect(event.data.message).toMatchObject({ id: row!.id, mediaId: row!.mediaId });
    });

    it('gets the file a run that stopped before recording it stored, not a second copy, when WhatsApp delivers it again', async () => {
      const { mocks } = await setup();
      // The first run stores the file, then neither its row nor the bus take note of it.
      vi.spyOn(mocks.messages, 'attachMedia').mockRejectedValueOnce(new Error('database gone'));
      vi.spyOn(mocks.messages, 'mergePayload').mockRejectedValueOnce(new Error('database gone'));
      vi.spyOn(mocks.bus, 'publishEvent').mockRejectedValueOnce(new Error('bus down'));
      const png = async () => Readable.from([Buffer.from('png')]);
      mocks.emit({ type: 'message', message: image('wa-twice', png, 3) });
      await mocks.settled();
      expect(mocks.media.files.size).toBe(1);

      mocks.emit({ type: 'message', message: image('wa-twice', png, 3) });
      await mocks.settled();
      const row = await mocks.messages.findByWaMessageId(mocks.session.id, 'wa-twice');
      expect(mocks.media.files.size).toBe(1);
      expect(row?.mediaId).toBe(inboundMediaId(row!.id));
      expect(mocks.media.files.get(row!.mediaId!)?.record).toMatchObject({ messageId: row!.id, direction: 'inbound' });
      expect(mocks.ofType('message.received').map((e) => (e.data.message as { mediaId: string }).mediaId)).toEqual([row!.mediaId]);
    });

    it('is published once, oldest first and in pages, when this worker adopts the session, and never again', async () => {
      const { mocks } = await setup({ announcePageSize: 2 });
      const sentAt = (waMessageId: string, second: number) => ({ ...text(waMessageId), timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, second)) });
      const down = () => Promise.reject(new Error('bus down'));
      const publish = vi.spyOn(mocks.bus, 'publishEvent').mockImplementationOnce(down).mockImplementationOnce(down).mockImplementationOnce(down);
      mocks.emit({ type: 'message', message: sentAt('wa-b', 2) });
      mocks.emit({ type: 'message', message: sentAt('wa-a', 1) });
      mocks.emit({ type: 'message', message: sentAt('wa-e', 3) });
      await mocks.settled();
      // One stored and announced: the catch-up leaves it alone.
      mocks.emit({ type: 'message', message: text('wa-c') });
      await mocks.settled();
      const failedIds = new Map(publish.mock.calls.slice(0, 3).map(([event]) => [(event.data.message as { waMessageId: string }).waMessageId, event.id]));
      expect(receivedIds(mocks.ofType('message.received'))).toEqual(['wa-c']);

      mocks.adopt();
      mocks.emit({ type: 'message', message: text('wa-d') });
      await mocks.settled();
      const received = mocks.ofType('message.received');
      // A page at a time, queued with new messages: one that comes meanwhile goes between two pages.
      expect(receivedIds(received)).toEqual(['wa-c', 'wa-a', 'wa-b', 'wa-d', 'wa-e']);
      for (const event of received.filter((e) => failedIds.has((e.data.message as { waMessageId: string }).waMessageId))) {
        expect(event.id).toBe(failedIds.get((event.data.message as { waMessageId: string }).waMessageId));
      }

      mocks.adopt();
      mocks.emit({ type: 'message', message: text('wa-a') });
      await mocks.settled();
      expect(mocks.ofType('message.received')).toHaveLength(5);
    });

    it('is tried again after a pause while this worker owns the session', async () => {
      const { mocks } = await setup({ announceRetryMs: 20 });
      mocks.adopt();
      await mocks.settled();
      vi.spyOn(mocks.bus, 'publishEvent').mockRejectedValueOnce(new Error('bus down'));
      mocks.emit({ type: 'message', message: text('wa-retried') });
      await waitFor('the retried event', () => mocks.ofType('message.received').length === 1);
      await mocks.settled();
      expect(receivedIds(mocks.ofType('message.received'))).toEqual(['wa-retried']);
      expect(mocks.warn).toHaveBeenCalledWith(expect.stringContaining('not published: bus down'), 'InboundRecorder');
    });
  });
});
