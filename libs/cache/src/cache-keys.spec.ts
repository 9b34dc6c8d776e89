import { loadConfig } from '@plugboard/config';
import { ErrorCode } from '@plugboard/contracts';
import { CacheKeys } from './cache-keys';
import { CacheError } from './cache.errors';
import { cacheTtls, DEFAULT_CACHE_TTL } from './cache-ttl';

describe('CacheKeys', () => {
  it('builds the documented keys', () => {
    expect(CacheKeys.sessionStatus('s1')).toBe('session:s1:status');
    expect(CacheKeys.sessionInfo('s1')).toBe('session:s1:info');
    expect(CacheKeys.sessionQr('my_session-2')).toBe('session:my_session-2:qr');
    expect(CacheKeys.sessionsList()).toBe('sessions:list');
    expect(CacheKeys.sessionsStats()).toBe('sessions:stats');
    expect(CacheKeys.sessionPrefix('s1')).toBe('session:s1:');
  });

  it('refuses session ids that could reach into another session\'s keys', () => {
    for (const id of ['a:b', '', 'a*', 'x'.repeat(65)]) {
      const error = (() => {
        try {
          return CacheKeys.sessionStatus(id);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(CacheError);
      expect((error as CacheError).code).toBe(ErrorCode.ValidationFailed);
    }
  });
});

describe('cacheTtls', () => {
  it('has the same defaults as the config schema', () => {
    const config = loadConfig({ env: {}, cwd: __dirname });
    expect(cacheTtls(config)).toEqual(DEFAULT_CACHE_TTL);
    expect(cacheTtls()).toEqual(DEFAULT_CACHE_TTL);
  });

  it('takes each TTL from its variable', () => {
    const config = loadConfig({
      env: {
        CACHE_TTL_SESSION_STATUS_S: '5',
        CACHE_TTL_SESSION_INFO_S: '6',
        CACHE_TTL_QR_S: '7',
        CACHE_TTL_SESSIONS_LIST_S: '8',
        CACHE_TTL_SESSIONS_STATS_S: '9',
      },
      cwd: __dirname,
    });
    expect(cacheTtls(config)).toEqual({ sessionStatus: 5, sessionInfo: 6, qr: 7, sessionsList: 8, sessionsStats: 9 });
  });

  it('refuses a zero TTL in the config', () => {
    expect(() => loadConfig({ env: { CACHE_TTL_QR_S: '0' }, cwd: __dirname })).toThrow(/CACHE_TTL_QR_S/);
  });
});
