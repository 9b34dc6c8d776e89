import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppConfig } from '@plugboard/config';
import { ErrorCode } from '@plugboard/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitService } from '../rate-limit/rate-limit.service';
import type { ApiKeyStore, KeyVerdict } from './api-key-store';
import { ApiKeyGuard } from './api-key.guard';
import { REQUIRED_ROLE } from './require-role.decorator';
import type { Role } from './roles';

const KEY = 'pb_guard-test-key';
const viewer: KeyVerdict = { ok: true, principal: { id: 'k1', name: 'k1', role: 'viewer', sessionIds: ['s1'] }, ipRanges: [] };

class SessionsStub {
  status(): void {}
}

function setup(options: { rateLimit?: boolean; cached?: KeyVerdict; stored?: KeyVerdict; role?: Role } = {}) {
  const calls = { verify: 0, enforce: [] as (string | undefined)[], touched: [] as string[] };
  const store = {
    verifyCached: () => options.cached,
    verify: async () => {
      calls.verify++;
      return options.stored ?? options.cached ?? { ok: false, reason: 'unknown' };
    },
    touch: (id: string) => void calls.touched.push(id),
  };
  const rateLimit = { enforce: async (_request: unknown, _reply: unknown, keyId: string | undefined) => void calls.enforce.push(keyId) };
  const reflector = new Reflector();
  Reflect.defineMetadata(REQUIRED_ROLE, options.role ?? 'viewer', SessionsStub.prototype.status);
  const sut = new ApiKeyGuard(reflector, store as unknown as ApiKeyStore, rateLimit as unknown as RateLimitService, {
    RATE_LIMIT_ENABLED: options.rateLimit ?? false,
  } as AppConfig);
  const request = (method = 'GET', sessionId = 's1') =>
    ({
      method,
      url: `/api/sessions/${sessionId}/status`,
      routeOptions: { url: '/api/sessions/:id/status' },
      params: { id: sessionId },
      headers: { 'x-api-key': KEY },
      query: {},
      ip: '127.0.0.1',
    }) as unknown as FastifyRequest;
  const context = (req: FastifyRequest) =>
    ({
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) as FastifyReply }),
      getHandler: () => SessionsStub.prototype.status,
      getClass: () => SessionsStub,
    }) as unknown as ExecutionContext;
  return { sut, mocks: { calls, request, context } };
}

describe('ApiKeyGuard', () => {
  it('decides a cached key at once, without a promise, when rate limiting is off', () => {
    const { sut, mocks } = setup({ cached: viewer });
    const request = mocks.request();
    expect(sut.canActivate(mocks.context(request))).toBe(true);
    expect(request.apiKey).toEqual(viewer.principal);
    expect(mocks.calls).toMatchObject({ verify: 0, enforce: [], touched: ['k1'] });
  });

  it('waits for the database when the key is not cached', async () => {
    const { sut, mocks } = setup({ stored: viewer });
    const decided = sut.canActivate(mocks.context(mocks.request()));
    expect(decided).toBeInstanceOf(Promise);
    expect(await decided).toBe(true);
    expect(mocks.calls.verify).toBe(1);
  });

  it('counts every request against its key before deciding when rate limiting is on', async () => {
    const { sut, mocks } = setup({ rateLimit: true, cached: viewer, stored: viewer });
    expect(await sut.canActivate(mocks.context(mocks.request()))).toBe(true);
    expect(mocks.calls.enforce).toEqual(['k1']);
  });

  it('refuses the same requests on both paths', async () => {
    for (const cached of [true, false]) {
      const revoked: KeyVerdict = { ok: false, reason: 'revoked' };
      const check = (verdict: KeyVerdict, method?: string, sessionId?: string, role?: Role) => {
        const { sut, mocks } = setup(cached ? { cached: verdict, role } : { stored: verdict, role });
        return Promise.resolve().then(() => sut.canActivate(mocks.context(mocks.request(method, sessionId))));
      };
      await expect(check(revoked)).rejects.toMatchObject({ code: ErrorCode.Unauthorized, message: 'API key revoked' });
      await expect(check(viewer, 'POST')).rejects.toMatchObject({ code: ErrorCode.Forbidden, message: 'viewer keys may only read' });
      await expect(check(viewer, 'GET', 's2')).rejects.toMatchObject({ code: ErrorCode.Forbidden, details: { sessionId: 's2' } });
      await expect(check(viewer, 'GET', 's1', 'operator')).rejects.toMatchObject({ code: ErrorCode.Forbidden, details: { required: 'operator' } });
    }
  });

  it('admits at once only what canActivate admits at once, with its effects, and never throws', () => {
    const admits = (options: Parameters<typeof setup>[0], sessionId?: string) => {
      const { sut, mocks } = setup(options);
      const request = mocks.request('GET', sessionId);
      return { admitted: sut.admitsAtOnce(request, SessionsStub.prototype.status, SessionsStub), request, calls: mocks.calls };
    };
    expect(admits({ cached: viewer })).toMatchObject({ admitted: true, request: { apiKey: viewer.principal }, calls: { touched: ['k1'] } });
    expect(admits({ stored: viewer }).admitted).toBe(false);
    expect(admits({ rateLimit: true, cached: viewer }).admitted).toBe(false);
    expect(admits({ cached: viewer }, 's2').admitted).toBe(false);
    expect(admits({ cached: viewer, role: 'operator' }).admitted).toBe(false);
    expect(admits({ cached: { ok: false, reason: 'expired' } }).admitted).toBe(false);
    expect(admits({ cached: { ...viewer, ipRanges: ['10.0.0.0/8'] } }).admitted).toBe(false);
  });
});
