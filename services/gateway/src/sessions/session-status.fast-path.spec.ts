import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheKeys, CachePort } from '@plugboard/cache';
import { loadConfig } from '@plugboard/config';
import { bootstrapService, createServiceLogger } from '@plugboard/service-kit';
import type { FastifyInstance } from 'fastify';
import { GatewayModule } from '../gateway.module';
import { SessionStatusCache } from './session-status-cache';
import { SessionsClient } from './sessions.client';

const MASTER_KEY = 'pb_fast-path-master-key-of-enough-length';
const CACHED = { id: 's-1', status: 'ready' };

/** The gateway alone with embedded plugs and rate limiting off, the one setting the fast path serves. */
async function setup() {
  const cwd = mkdtempSync(join(tmpdir(), 'pb-status-fast-path-'));
  const config = loadConfig({
    // The defaults otherwise: in-process bus, queue and cache, SQLite under DATA_DIR.
    env: { DATA_DIR: join(cwd, 'data'), API_MASTER_KEY: MASTER_KEY, RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'error' },
    cwd,
  });
  const handle = await bootstrapService({ service: 'gateway', module: GatewayModule, config, listen: false, logger: createServiceLogger('gateway', 'error') });
  await handle.app.get(CachePort, { strict: false }).set(CacheKeys.sessionStatus(CACHED.id), CACHED, 60);
  const fastify = handle.app.getHttpAdapter().getInstance() as FastifyInstance;
  const call = async (url: string, headers: Record<string, string> = {}, body?: unknown) => {
    const response = await fastify.inject({ method: body === undefined ? 'GET' : 'POST', url, headers, ...(body !== undefined && { payload: body as object }) });
    return { status: response.statusCode, headers: response.headers, body: response.json() as unknown };
  };
  const createKey = async (body: Record<string, unknown>) => (await call('/api/keys', { 'x-api-key': MASTER_KEY }, body)).body as { id: string; key: string };
  const revokeKey = (id: string) => fastify.inject({ method: 'DELETE', url: `/api/keys/${id}`, headers: { 'x-api-key': MASTER_KEY } });
  const close = async () => {
    await handle.close();
    rmSync(cwd, { recursive: true, force: true });
  };
  return { sut: call, mocks: { createKey, revokeKey }, close };
}

describe('cached session status outside the Nest pipeline', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    ctx = await setup();
  }, 60_000);
  afterAll(() => ctx?.close());
  afterEach(() => vi.restoreAllMocks());

  it('answers a cached read from the cache, with the request id, for the master key and a key scoped to the session', async () => {
    const { sut, mocks } = ctx;
    const scoped = await mocks.createKey({ name: 'scoped', role: 'viewer', sessionIds: ['s-1'] });
    // A key's first read goes through the full guard, which caches its verdict for the next ones.
    for (const key of [MASTER_KEY, scoped.key]) expect((await sut('/api/sessions/s-1/status', { 'x-api-key': key })).status).toBe(200);
    const cached = vi.spyOn(SessionStatusCache.prototype, 'cached');
    for (const key of [MASTER_KEY, scoped.key]) {
      const response = await sut('/api/sessions/s-1/status', { 'x-api-key': key, 'x-request-id': 'req-1' });
      expect(response).toMatchObject({ status: 200, body: CACHED, headers: { 'x-request-id': 'req-1', 'content-type': 'application/json; charset=utf-8' } });
    }
    expect(cached).toHaveBeenCalledTimes(2);
  });

  it('leaves a miss to the route, which loads the status through the session-worker', async () => {
    const request = vi.spyOn(SessionsClient.prototype, 'request').mockResolvedValue({ id: 's-2', status: 'qr_ready' } as never);
    const response = await ctx.sut('/api/sessions/s-2/status', { 'x-api-key': MASTER_KEY });
    expect(response).toMatchObject({ status: 200, body: { id: 's-2', status: 'qr_ready' } });
    expect(request).toHaveBeenCalledWith('sessions.get', { id: 's-2' });
  });

  it('answers refusals and bad ids with the guard and the route, in the one error shape', async () => {
    const { sut, mocks } = ctx;
    const elsewhere = await mocks.createKey({ name: 'far', role: 'viewer', ipRanges: ['10.0.0.0/8'] });
    const otherSession = await mocks.createKey({ name: 'other', role: 'viewer', sessionIds: ['s-9'] });
    const revoked = await mocks.createKey({ name: 'gone', role: 'viewer' });
    expect((await sut('/api/sessions/s-1/status', { 'x-api-key': revoked.key })).status).toBe(200);
    expect((await mocks.revokeKey(revoked.id)).statusCode).toBe(200);
    // Asked twice: the first time the key's verdict is not cached yet, the second time it is.
    const twice = async (url: string, key?: string) => {
      const first = await sut(url, key === undefined ? {} : { 'x-api-key': key });
      const second = await sut(url, key === undefined ? {} : { 'x-api-key': key });
      expect({ url, status: second.status, body: second.body }).toEqual({ url, status: first.status, body: first.body });
      return second;
    };
    const answers = {
      missing: await twice('/api/sessions/s-1/status'),
      unknown: await twice('/api/sessions/s-1/status', 'pb_unknown'),
      revoked: await twice('/api/sessions/s-1/status', revoked.key),
      inQuery: await twice(`/api/sessions/s-1/status?apiKey=${MASTER_KEY}`),
      elsewhere: await twice('/api/sessions/s-1/status', elsewhere.key),
      otherSession: await twice('/api/sessions/s-1/status', otherSession.key),
      badId: await twice('/api/sessions/not%20an%20id/status', MASTER_KEY),
    };
    expect(answers).toMatchObject({
      missing: { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'API key required (X-API-Key or Authorization: Bearer)' } } },
      unknown: { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'API key invalid' } } },
      revoked: { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'API key revoked' } } },
      inQuery: { status: 400, body: { error: { code: 'API_KEY_IN_QUERY' } } },
      elsewhere: { status: 403, body: { error: { code: 'FORBIDDEN', message: 'this API key may not be used from this address' } } },
      otherSession: { status: 403, body: { error: { code: 'FORBIDDEN', details: { sessionId: 's-1' } } } },
      badId: { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'invalid session id' } } },
    });
  });
});
