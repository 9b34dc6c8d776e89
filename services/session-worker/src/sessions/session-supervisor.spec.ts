import type { MikroORM } from '@mikro-orm/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@plugboard/config';
import { type EventEnvelope, sessionSubject } from '@plugboard/contracts';
import { SessionEntity, SessionRepository, openDatabase } from '@plugboard/database';
import { MemoryBusAdapter } from '@plugboard/messaging';
import { ServiceContext, createServiceLogger } from '@plugboard/service-kit';
import { waitFor } from '@plugboard/testing';
import type { EngineName, EnginePort } from '../engine/engine.port';
import { FakeEngine } from './__tests__/fake-engine';
import { SessionCommands } from './session-commands';
import { SessionEngines } from './session-engines';
import { derivedEventId } from './session-events';
import { SessionSupervisor } from './session-supervisor';
import { SessionsController } from './sessions.controller';

class FixedEngines extends SessionEngines {
  constructor(private readonly engine: EnginePort) {
    super();
  }
  get(_name: EngineName): EnginePort {
    return this.engine;
  }
}

/** A repository whose renewals can be made to fail, as when the database is unreachable. */
class FlakyRenewals extends SessionRepository {
  failing = false;
  override renew(...args: Parameters<SessionRepository['renew']>): Promise<boolean> {
    return this.failing ? Promise.reject(new Error('database unreachable')) : super.renew(...args);
  }
}

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setup(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pb-sessions-'));
  dirs.push(dir);
  const config = loadConfig({
    cwd: dir,
    env: { DATA_DIR: dir, SESSION_LEASE_TTL_MS: '2000', SESSION_START_STAGGER_MS: '0', LOG_LEVEL: 'error', ...env },
  });
  const orm: MikroORM = await openDatabase(config);
  const bus = new MemoryBusAdapter();
  await bus.connect();
  cleanups.push(async () => {
    await bus.close();
    await orm.close(true);
  });
  const repo = new FlakyRenewals(orm);
  const events: EventEnvelope[] = [];
  await bus.subscribeEvents({}, (event) => void events.push(event));

  const worker = (instanceId: string) => {
    const engine = new FakeEngine();
    const engines = new FixedEngines(engine);
    const context = new ServiceContext('session-worker', instanceId, '0.0.0', new Date(), config);
    const logger = createServiceLogger(instanceId, 'error');
    const supervisor = new SessionSupervisor(repo, bus, context, logger, engines, config);
    new SessionCommands(supervisor, repo, engines).onModuleInit();
    const controller = new SessionsController(repo, supervisor, bus, config, logger);
    cleanups.push(() => supervisor.onModuleDestroy());
    return { supervisor, engine, controller, logger };
  };
  const row = (id: string) => repo.get(id) as Promise<SessionEntity>;
  const statusesOf = (id: string) =>
    events.filter((e) => e.sessionId === id && e.type === 'session.status').map((e) => `${e.data.previous}>${e.data.status}`);
  return { sut: { worker }, mocks: { repo, bus, orm, events, row, statusesOf } };
}

describe('SessionSupervisor + SessionRunner (memory bus, SQLite)', () => {
  it('runs a claimed session created → initializing → qr_ready → authenticating → ready, persisted and published in order', async () => {
    const { sut, mocks } = await setup();
    const a = sut.worker('worker-a');
    const session = await mocks.repo.create({ name: 'alpha', engine: 'simulator', desiredState: 'running' });

    await a.supervisor.sweep();
    await waitFor('qr_ready', async () => (await mocks.row(session.id)).status === 'qr_ready');
    const qr = await mocks.bus.request('wa.session.qr', {}, { subject: sessionSubject(session.id, 'qr') });
    expect(qr.qr).toBe(`qr-${session.id}`);

    a.engine.latest(session.id)!.emit({ type: 'authenticated' });
    a.engine.latest(session.id)!.emit({ type: 'ready', phone: '15550001', pushName: 'Alpha' });
    await waitFor('ready', async () => (await mocks.row(session.id)).status === 'ready');

    expect(await mocks.row(session.id)).toMatchObject({ phone: '15550001', pushName: 'Alpha', leaseOwner: 'worker-a' });
    await waitFor('4 status events', () => mocks.statusesOf(session.id).length >= 4);
    expect(mocks.statusesOf(session.id)).toEqual(['created>initializing', 'initializing>qr_ready', 'qr_ready>authenticating', 'authenticating>ready']);
    expect(mocks.events.map((e) => e.type)).toEqual(expect.arrayContaining(['session.qr', 'session.authenticated']));
    await expect(mocks.bus.request('wa.session.status', {}, { subject: sessionSubject(session.id, 'status') })).resolves.toMatchObject({
      status: 'ready',
      owner: 'worker-a',
    });
    await expect(mocks.bus.request('wa.session.qr', {}, { subject: sessionSubject(session.id, 'qr') })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { status: 'ready' },
    });
  });

  it('claims at most MAX_SESSIONS_PER_WORKER; another worker takes the rest', async () => {
    const { sut, mocks } = await setup({ MAX_SESSIONS_PER_WORKER: '2' });
    const a = sut.worker('worker-a');
    const b = sut.worker('worker-b');
    for (const name of ['s1', 's2', 's3']) await mocks.repo.create({ name, engine: 'simulator', desiredState: 'running' });
    await mocks.repo.create({ name: 'idle', engine: 'simulator', desiredState: 'stopped' });

    await a.supervisor.sweep();
    await b.supervisor.sweep();
    expect(a.supervisor.ownedIds()).toHaveLength(2);
    expect(b.supervisor.ownedIds()).toHaveLength(1);
    expect((await mocks.repo.getByName('idle'))?.leaseOwner ?? null).toBeNull();
  });

  it('runs a session once when a create-time claim and a sweep of the same worker race for it', async () => {
    const { sut, mocks } = await setup();
    const a = sut.worker('worker-a');
    const session = await mocks.repo.create({ name: 'raced', engine: 'simulator', desiredState: 'running' });

    await Promise.all([a.supervisor.sweep(), a.supervisor.tryClaim(session.id), a.supervisor.sweep()]);
    await waitFor('qr_ready', async () => (await mocks.row(session.id)).status === 'qr_ready');

    expect(a.engine.created).toHaveLength(1);
    expect(a.engine.live(session.id)).toHaveLength(1);
    expect(a.supervisor.runner(session.id)!.generation).toBe((await mocks.row(session.id)).leaseGeneration);
  });

  it('drain stops engines and releases leases without touching desiredState; another worker takes over; the old generation is fenced', async () => {
    const { sut, mocks } = await setup();
    const a = sut.worker('worker-a');
    const b = sut.worker('worker-b');
    const session = await mocks.repo.create({ name: 'beta', engine: 'simulator', desiredState: 'running' });
    await a.supervisor.sweep();
    await waitFor('qr_ready', async () => (await mocks.row(session.id)).status === 'qr_ready');
    const oldGeneration = a.supervisor.runner(session.id)!.generation;
    await a.supervisor.onApplicationBootstrap(); // the loops and the drain subject

    await expect(mocks.bus.request('worker.drain', { instanceId: 'worker-a' }, { subject: 'worker.worker-a.drain' })).resolves.toEqual({
      instanceId: 'worker-a',
      released: 1,
    });
    expect(a.engine.live()).toHaveLength(0);
    expect(await mocks.row(session.id)).toMatchObject({ desiredState: 'running', leaseOwner: null });

    await a.supervisor.sweep();
    expect(a.supervisor.ownedIds()).toEqual([]);
    await b.supervisor.sweep();
    expect(b.supervisor.ownedIds()).toEqual([session.id]);
    expect(b.supervisor.runner(session.id)!.generation).toBe(oldGeneration + 1);
    await expect(mocks.repo.updateIfOwner(session.id, oldGeneration, { status: 'failed' })).resolves.toBe(false);
    await waitFor('qr_ready on b', async () => (await mocks.row(session.id)).status === 'qr_ready');
  });

  it('stops the engine at once when a renewal is refused (someone else holds the lease)', async () => {
    const { sut, mocks } = await setup();
    const a = sut.worker('worker-a');
    const b = sut.worker('worker-b');
    const session = await mocks.repo.create({ name: 'gamma', engine: 'simulator', desiredState: 'running' });
    await a.supervisor.sweep();
    await waitFor('a runs it', () => a.engine.live(session.id).length === 1);

    // A's lease ran out (as after a long pause): b claims it, a's next renewal is refused.
    await mocks.orm.em.fork().nativeUpdate(SessionEntity, { id: session.id }, { leaseExpiresAt: new Date(Date.now() - 1) });
    await b.supervisor.sweep();
    expect(b.supervisor.ownedIds()).toEqual([session.id]);
    await a.supervisor.renewAll();
    expect(a.engine.live(session.id)).toHaveLength(0);
    expect(a.supervisor.ownedIds()).toEqual([]);
    await expect(mocks.bus.request('wa.session.status', {}, { subject: sessionSubject(session.id, 'status') })).resolves.toMatchObject({
      owner: 'worker-b',
    });
  });

  it('stops the engine before the lease can expire when renewals keep failing', async () => {
    const { sut, mocks } = await setup({ SESSION_LEASE_TTL_MS: '600' });
    const a = sut.worker('worker-a');
    const session = await mocks.repo.create({ name: 'delta', engine: 'simulator', desiredState: 'running' });
    await a.supervisor.sweep();
    await waitFor('a runs it', () => a.engine.live(session.id).length === 1);
    mocks.repo.failing = true;
    await a.supervisor.renewAll();
    await waitFor('engine stopped by the local expiry', () => a.engine.live(session.id).length === 0, { timeoutMs: 3_000, intervalMs: 20 });
    const row = await mocks.row(session.id);
    // Stopped locally no later than the stored expiry: a new owner could not have claimed it yet.
    expect(Date.now()).toBeLessThanOrEqual(row.leaseExpiresAt!.getTime() + 50);
  });

  it('reconnects a dropped connection with backoff, under the same lease', async () => {
    const { sut, mocks } = await setup({ SESSION_RECONNECT_MAX_MS: '20' });
    const a = sut.worker('worker-a');
    const session = await mocks.repo.create({ name: 'epsilon', engine: 'simulator', desiredState: 'running' });
    await a.supervisor.sweep();
    await waitFor('qr_ready', async () => (await mocks.row(session.id)).status === 'qr_ready');
    const first = a.engine.latest(session.id)!;
    first.emit({ type: 'disconnected', reason: 'network' });
    await waitFor('a second engine session', () => a.engine.created.length === 2);
    expect(first.destroyed).toBe(true);
    await waitFor('qr_ready again', () => mocks.statusesOf(session.id).at(-1) === 'initializing>qr_ready');
    expect(mocks.statusesOf(session.id)).toContain('qr_ready>disconnected');
    expect(mocks.events.some((e) => e.type === 'session.disconnected' && e.data.reason === 'network')).toBe(true);
  });

  it('stop releases the lease with desiredState stopped (never claimed again); start claims it back; conflicts carry the status', async () => {
    const { sut, mocks } = await setup();
    const a = sut.worker('worker-a');
    const b = sut.worker('worker-b');
    const view = await a.controller.create({ name: 'zeta', start: true });
    expect(view).toMatchObject({ desiredState: 'running', owner: 'worker-a', engine: 'whatsapp-web.js' });
    await waitFor('qr_ready', async () => (await mocks.row(view.id)).status === 'qr_ready');
    await expect(b.controller.start({ id: view.id })).rejects.toMatchObject({ code: 'CONFLICT', details: { status: 'qr_ready' } });

    // Sent to b, carried out by the owner a.
    const stopped = await b.controller.stop({ id: view.id });
    expect(stopped).toMatchObject({ status: 'stopped', desiredState: 'stopped', owner: null });
    expect(a.engine.live()).toHaveLength(0);
    await expect(b.controller.stop({ id: view.id })).rejects.toMatchObject({ code: 'CONFLICT', details: { status: 'stopped' } });
    await b.supervisor.sweep();
    expect(b.supervisor.ownedIds()).toEqual([]);

    const started = await b.controller.start({ id: view.id });
    expect(started).toMatchObject({ desiredState: 'running', owner: 'worker-b' });
    await waitFor('qr_ready on b', async () => (await mocks.row(view.id)).status === 'qr_ready');

    await expect(a.controller.delete({ id: view.id })).resolves.toEqual({ deleted: true });
    expect(b.engine.live()).toHaveLength(0);
    await expect(a.controller.get({ id: view.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('announces session.created before the first status and session.deleted after the stop, each once, with ids derived from the session', async () => {
    const { sut, mocks } = await setup();
    const a = sut.worker('worker-a');
    const view = await a.controller.create({ name: 'lifecycle', start: true });
    const ofSession = () => mocks.events.filter((e) => e.sessionId === view.id);
    await waitFor('the first status', () => mocks.statusesOf(view.id).length >= 1);
    expect(ofSession()[0]).toMatchObject({
      id: derivedEventId('session.created', view.id),
      type: 'session.created',
      data: { id: view.id, name: 'lifecycle', engine: view.engine, status: 'created', desiredState: 'running', createdAt: view.createdAt },
    });
    expect(Object.keys(ofSession()[0].data).sort()).toEqual(['createdAt', 'desiredState', 'engine', 'id', 'name', 'status']);

    await expect(a.controller.delete({ id: view.id })).resolves.toEqual({ deleted: true });
    await waitFor('session.deleted', () => ofSession().some((e) => e.type === 'session.deleted'));
    expect(ofSession().at(-1)).toMatchObject({
      id: derivedEventId('session.deleted', view.id),
      type: 'session.deleted',
      data: { id: view.id, name: 'lifecycle', deletedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    expect(ofSession().at(-2)?.data).toMatchObject({ status: 'stopped' });
    await expect(a.controller.delete({ id: view.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(ofSession().filter((e) => e.type === 'session.created' || e.type === 'session.deleted')).toHaveLength(2);
  });

  it('still creates and deletes when the event cannot be published, and says so in the log', async () => {
    const { sut, mocks } = await setup();
    const a = sut.worker('worker-a');
    const warn = vi.spyOn(a.logger, 'warn');
    vi.spyOn(mocks.bus, 'publishEvent').mockRejectedValue(new Error('stream unreachable'));
    const view = await a.controller.create({ name: 'unannounced', start: false });
    expect(await mocks.row(view.id)).toMatchObject({ name: 'unannounced', status: 'created' });
    await expect(a.controller.delete({ id: view.id })).resolves.toEqual({ deleted: true });
    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      `session.created of session ${view.id} not published: stream unreachable`,
      `session.deleted of session ${view.id} not published: stream unreachable`,
    ]);
  });
});
