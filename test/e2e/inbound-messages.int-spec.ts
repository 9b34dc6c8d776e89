import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@plugboard/config';
import { type EventEnvelope, MediaStreams, MessageViewSchema, type SimulatorInboundRequest, sessionSubject } from '@plugboard/contracts';
import { Database } from '@plugboard/database';
import { MediaServiceModule } from '@plugboard/media-service';
import { type BusPort, createBus, createQueue } from '@plugboard/messaging';
import { MediaStreamsSwitch, type ServiceHandle, bootstrapService, createServiceLogger } from '@plugboard/service-kit';
import { SessionWorkerModule } from '@plugboard/session-worker';
import { type TestDatabase, backendReachable, createTestDatabase, freePort, postgresEnv, testBackends, uniqueName, waitFor } from '@plugboard/testing';
import type { EngineEvent } from '../../services/session-worker/src/engine/engine.port';
import { SessionSupervisor } from '../../services/session-worker/src/sessions/session-supervisor';

const INTERNAL_TOKEN = 'inbound-test-internal-token';
const FROM = '15550001111@c.us';

interface Stack {
  bus: BusPort;
  database: Database;
  worker: ServiceHandle;
  media: MediaStreams;
  supervisor: SessionSupervisor;
  events: EventEnvelope[];
  /** Real engine events of the worker's sessions, as the recorder got them. */
  engineEvents: { sessionId: string; event: EngineEvent }[];
  close(): Promise<void>;
}

/**
 * The media-service and the session-worker in this process on one in-process bus: over the
 * media-service's internal HTTP port (as separate processes do) or switched to its in-process
 * streams (as embedded mode does).
 */
async function startStack(mediaPath: 'http' | 'in-process', env: Record<string, string> = {}): Promise<Stack> {
  const cwd = mkdtempSync(join(tmpdir(), 'pb-inbound-'));
  const httpPort = String(await freePort());
  const config = loadConfig({
    cwd,
    env: {
      BUS_TYPE: 'memory',
      QUEUE_TYPE: 'memory',
      DATA_DIR: join(cwd, 'data'),
      HOST: '127.0.0.1',
      HTTP_PORT: httpPort,
      MEDIA_SERVICE_URL: `http://127.0.0.1:${httpPort}`,
      INTERNAL_TOKEN,
      STORAGE_TYPE: 'local',
      ENGINE_TYPE: 'simulator',
      SIMULATOR_AUTO_PAIR_MS: '20',
      SIMULATOR_ACK_DELAY_MS: '20',
      SESSION_START_STAGGER_MS: '0',
      LOG_LEVEL: 'error',
      ...env,
    },
  });
  const logger = createServiceLogger('inbound-test', 'error');
  const bus = createBus(config, 'inbound-test', logger);
  const queue = createQueue(config, logger);
  const database = await Database.create(config, { migrate: true, logger });
  await database.start();
  const common = { config, bus, queue, database, logger };
  const handles: ServiceHandle[] = [];
  const close = async () => {
    for (const handle of handles.reverse()) await handle.close();
    await queue.close();
    await database.close();
    await bus.close();
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    const mediaService = await bootstrapService({ service: 'media-service', module: MediaServiceModule, ...common, listen: mediaPath === 'http' });
    handles.push(mediaService);
    const worker = await bootstrapService({ service: 'session-worker', module: SessionWorkerModule, ...common, listen: false });
    handles.push(worker);
    const media = mediaService.app.get(MediaStreams);
    if (mediaPath === 'in-process') worker.app.get(MediaStreamsSwitch).use(media);
    expect(worker.app.get(MediaStreamsSwitch).plug).toBe(mediaPath);

    const events: EventEnvelope[] = [];
    await bus.subscribeEvents({}, (event) => void events.push(event));
    const supervisor = worker.app.get(SessionSupervisor);
    const engineEvents: Stack['engineEvents'] = [];
    supervisor.engineListeners.add((sessionId, event) => engineEvents.push({ sessionId, event }));
    return { bus, database, worker, media, supervisor, events, engineEvents, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** `env` answers null when the suite's backend is unreachable (its tests are skipped). */
function inboundScenario(mediaPath: 'http' | 'in-process', env: () => Promise<Record<string, string> | null>) {
  let stack: Stack;
  let sessionId: string;

  beforeAll(async () => {
    const settings = await env();
    if (!settings) return;
    stack = await startStack(mediaPath, settings);
    const created = await stack.bus.request('sessions.create', { name: uniqueName('inbound'), engine: 'simulator', start: true });
    sessionId = created.id;
    await waitFor('the session to be ready', async () => (await stack.database.sessions.get(sessionId))?.status === 'ready', { timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const of = (type: string) => stack.events.filter((e) => e.sessionId === sessionId && e.type === type);
  const received = (waMessageId: string) =>
    of('message.received').filter((e) => (e.data.message as { waMessageId: string }).waMessageId === waMessageId);
  const inbound = (message: Omit<SimulatorInboundRequest, 'sessionId' | 'from'>) =>
    stack.bus.request('wa.session.simulator.inbound', { sessionId, from: FROM, ...message }, { subject: sessionSubject(sessionId, 'simulator.inbound') });

  it('stores injected text and media messages as incoming rows, the bytes in the media-service, one message.received each', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    const { waMessageId: textId } = await inbound({ type: 'text', body: 'hello there' });
    const { waMessageId: imageId } = await inbound({
      type: 'image',
      body: 'a picture',
      media: { mimeType: 'image/png', filename: 'picture.png', dataBase64: bytes.toString('base64') },
    });
    await waitFor('two message.received', () => received(textId).length === 1 && received(imageId).length === 1);

    const text = await stack.database.messages.findByWaMessageId(sessionId, textId);
    expect(text).toMatchObject({ direction: 'incoming', status: 'delivered', type: 'text', body: 'hello there', chatId: FROM, mediaId: null });
    const image = await stack.database.messages.findByWaMessageId(sessionId, imageId);
    expect(image).toMatchObject({ direction: 'incoming', type: 'image', body: 'a picture', mediaId: expect.any(String) });
    expect(image?.payload.mediaError).toBeUndefined();

    const file = await stack.media.download(image!.mediaId!);
    expect(file.record).toMatchObject({ direction: 'inbound', sessionId, messageId: image!.id, mimeType: 'image/png', filename: 'picture.png', size: bytes.length });
    expect((await readAll(file.stream)).equals(bytes)).toBe(true);

    const view = MessageViewSchema.parse(received(imageId)[0].data.message);
    expect(view).toMatchObject({ id: image!.id, mediaId: image!.mediaId, direction: 'incoming', type: 'image' });
  });

  it('records a redelivered message event once and publishes it once', async () => {
    const { waMessageId } = await inbound({ type: 'text', body: 'only once' });
    await waitFor('message.received', () => received(waMessageId).length === 1);
    const original = stack.engineEvents.find((e) => e.event.type === 'message' && e.event.message.waMessageId === waMessageId);
    expect(original).toBeDefined();

    stack.supervisor.engineListeners.forEach((listener) => listener(sessionId, original!.event));
    // A later message proves the redelivery (queued before it on the same session) has been handled.
    const { waMessageId: later } = await inbound({ type: 'text', body: 'after the redelivery' });
    await waitFor('the later message', () => received(later).length === 1);

    expect(received(waMessageId)).toHaveLength(1);
    const rows = await stack.database.messages.history(sessionId, { direction: 'incoming', limit: 500 });
    expect(rows.items.filter((m) => m.waMessageId === waMessageId)).toHaveLength(1);
  });

  it('moves a sent message to delivered, then read, on the engine acks, with message.ack events', async () => {
    const session = await stack.database.sessions.get(sessionId);
    const runner = stack.supervisor.runner(sessionId);
    const engine = runner?.engine;
    expect(engine).toBeDefined();
    const { message } = await stack.database.messages.insertPending({ sessionId, chatId: FROM, from: session!.phone ?? 'me', to: FROM, type: 'text', body: 'hi' });
    await stack.database.messages.transition(message.id, 'sending', { generation: runner!.generation });
    const sent = await engine!.send({ clientMessageId: message.id, to: FROM, type: 'text', text: 'hi' });
    await stack.database.messages.transition(message.id, 'sent', { waMessageId: sent.waMessageId, at: sent.timestamp });

    await waitFor('the row to be read', async () => (await stack.database.messages.get(message.id))?.status === 'read');
    const row = await stack.database.messages.get(message.id);
    expect(row?.timeline.map((t) => t.status)).toEqual(['pending', 'sending', 'sent', 'delivered', 'read']);
    expect(row?.deliveredAt).toBeInstanceOf(Date);
    await waitFor('two message.ack', () => of('message.ack').filter((e) => e.data.messageId === message.id).length === 2);
    expect(of('message.ack').filter((e) => e.data.messageId === message.id).map((e) => e.data)).toEqual([
      expect.objectContaining({ waMessageId: sent.waMessageId, chatId: FROM, ack: 'delivered' }),
      expect.objectContaining({ waMessageId: sent.waMessageId, chatId: FROM, ack: 'read' }),
    ]);
  });

  it('sets revokedAt on a revoked message and publishes message.revoked, with messageId null for an unknown one', async () => {
    const { waMessageId } = await inbound({ type: 'text', body: 'to be deleted' });
    await waitFor('message.received', () => received(waMessageId).length === 1);
    const emit = (event: EngineEvent) => stack.supervisor.engineListeners.forEach((listener) => listener(sessionId, event));
    emit({ type: 'message_revoked', waMessageId, chatId: FROM });
    emit({ type: 'message_revoked', waMessageId: 'never-seen', chatId: FROM });

    await waitFor('two message.revoked', () => of('message.revoked').length === 2);
    const row = await stack.database.messages.findByWaMessageId(sessionId, waMessageId);
    expect(row?.revokedAt).toBeInstanceOf(Date);
    expect(of('message.revoked').map((e) => e.data)).toEqual([
      { messageId: row!.id, waMessageId, chatId: FROM, at: row!.revokedAt!.toISOString() },
      { messageId: null, waMessageId: 'never-seen', chatId: FROM, at: expect.any(String) },
    ]);
  });
}

describe('inbound messages on SQLite, media over the in-process streams (embedded mode)', () => {
  inboundScenario('in-process', async () => ({}));
});

describe('inbound messages on PostgreSQL, media over the media-service HTTP port (real PostgreSQL)', () => {
  let database: TestDatabase | undefined;
  let reachable = false;
  beforeAll(async () => {
    reachable = await backendReachable('PostgreSQL', testBackends.databaseUrl);
  });
  beforeEach(({ skip }) => skip(!reachable, `PostgreSQL at ${testBackends.databaseUrl} is unreachable`));
  afterAll(async () => {
    await database?.drop();
  });

  inboundScenario('http', async () => {
    if (!reachable) return null;
    database = await createTestDatabase({ prefix: 'plugboard_test_inbound' });
    return postgresEnv(database.config);
  });
});
