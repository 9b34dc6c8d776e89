import type { ApiKeyEntity, ApiKeyRepository, DatabaseConnector } from '@plugboard/database';
import type { ServiceLogger } from '@plugboard/service-kit';
import { AdminKey } from './admin-key';
import { ApiKeyStore } from './api-key-store';
import { hashApiKey } from './api-key-secret';

const MASTER = 'pb_master-key-of-the-store-test-0123456789';
const OTHER = 'pb_other-key-of-the-store-test-0123456789';

/** Rows by hash; each lookup waits for `release()` when `hold` is set, so tests can overlap them. */
function setup() {
  const rows = new Map<string, ApiKeyEntity>();
  const lookups: string[] = [];
  let hold: Promise<void> | undefined;
  let release = () => undefined as void;
  const keys = {
    findByHash: async (hash: string) => {
      lookups.push(hash);
      await hold;
      return rows.get(hash) ?? null;
    },
    ensure: async (input: { hash: string; role: string; name: string }) => {
      const row = { id: 'master', sessionIds: [], ipRanges: [], expiresAt: null, revokedAt: null, ...input } as unknown as ApiKeyEntity;
      rows.set(input.hash, row);
      return row;
    },
    touch: async () => undefined,
  };
  const sut = new ApiKeyStore(keys as unknown as ApiKeyRepository, new AdminKey(MASTER, 'env'), {} as DatabaseConnector, { warn: () => undefined } as unknown as ServiceLogger);
  const addKey = (plain: string, fields: Partial<ApiKeyEntity> = {}) =>
    rows.set(hashApiKey(plain), { id: plain, name: plain, role: 'viewer', sessionIds: ['s1'], ipRanges: [], expiresAt: null, revokedAt: null, ...fields } as ApiKeyEntity);
  const holdLookups = () => {
    hold = new Promise<void>((resolve) => (release = resolve));
  };
  return { sut, mocks: { rows, lookups, addKey, holdLookups, release: () => release() } };
}

describe('ApiKeyStore', () => {
  it('answers from memory, without waiting, once a key was looked up', async () => {
    const { sut, mocks } = setup();
    mocks.addKey(OTHER);
    expect(sut.verifyCached(OTHER)).toBeUndefined();
    expect(await sut.verify(OTHER)).toMatchObject({ ok: true, principal: { id: OTHER, role: 'viewer', sessionIds: ['s1'] } });
    expect(sut.verifyCached(OTHER)).toMatchObject({ ok: true, principal: { id: OTHER } });
    expect(sut.verifyCached('pb_never-seen')).toBeUndefined();
    expect(mocks.lookups).toHaveLength(1);
  });

  it('reports revoked and expired keys from memory too', async () => {
    const { sut, mocks } = setup();
    mocks.addKey(OTHER, { revokedAt: new Date() });
    mocks.addKey(MASTER + 'x', { expiresAt: new Date(Date.now() - 1_000) });
    await sut.verify(OTHER);
    await sut.verify(MASTER + 'x');
    expect(sut.verifyCached(OTHER)).toEqual({ ok: false, reason: 'revoked' });
    expect(sut.verifyCached(MASTER + 'x')).toEqual({ ok: false, reason: 'expired' });
  });

  it('sends concurrent checks of one uncached key to the database once', async () => {
    const { sut, mocks } = setup();
    mocks.addKey(OTHER);
    mocks.holdLookups();
    const checks = Array.from({ length: 20 }, () => sut.verify(OTHER));
    mocks.release();
    expect((await Promise.all(checks)).every((verdict) => verdict.ok)).toBe(true);
    expect(mocks.lookups).toHaveLength(1);
  });

  it('does not keep what a lookup started before an invalidation found', async () => {
    const { sut, mocks } = setup();
    mocks.addKey(OTHER);
    mocks.holdLookups();
    const before = sut.verify(OTHER);
    sut.invalidate(); // e.g. the key was revoked on this replica meanwhile
    mocks.rows.get(hashApiKey(OTHER))!.revokedAt = new Date();
    mocks.release();
    await before;
    expect(sut.verifyCached(OTHER)).toBeUndefined();
    expect(await sut.verify(OTHER)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('stores the master key on its first use', async () => {
    const { sut, mocks } = setup();
    expect(sut.verifyCached(MASTER)).toBeUndefined();
    expect(await sut.verify(MASTER)).toMatchObject({ ok: true, principal: { role: 'admin' } });
    expect(mocks.rows.has(hashApiKey(MASTER))).toBe(true);
    expect(sut.verifyCached(MASTER)).toMatchObject({ ok: true });
  });
});
