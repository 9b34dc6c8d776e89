import { ErrorCode } from '@plugboard/contracts';
import { waitFor } from '@plugboard/testing';
import { CacheError } from '../cache.errors';
import type { CachePort } from '../cache.port';

export interface CacheContractOptions {
  /** Keys written for the deleteByPrefix volume test; above 1000 to cross SCAN pages on Redis. */
  bulkKeys: number;
}

/** A TTL short enough to watch expire; the tests poll for it, they never time it. */
const SHORT_TTL_S = 0.3;
const LONG_TTL_S = 600;

async function expectInvalid(call: Promise<unknown>): Promise<void> {
  const error = await call.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CacheError);
  expect((error as CacheError).code).toBe(ErrorCode.ValidationFailed);
}

/**
 * The behaviour every cache plug must show. `makeCache` returns a fresh cache isolated from
 * every other one (its own namespace on a shared Redis); the suite closes what it made.
 */
export function runCacheContract(name: string, makeCache: () => Promise<CachePort> | CachePort, options: CacheContractOptions): void {
  describe(`CachePort contract: ${name}`, () => {
    let cache: CachePort;

    beforeEach(async () => {
      cache = await makeCache();
    });
    afterEach(async () => {
      // Unset when an outer hook skipped the test before this suite's beforeEach ran.
      await cache?.close();
    });

    it('misses a key never written', async () => {
      expect(await cache.get('nothing:here')).toBeNull();
    });

    it('reads back what was set, until it is deleted', async () => {
      await cache.set('k', { a: 1 }, LONG_TTL_S);
      expect(await cache.get('k')).toEqual({ a: 1 });
      await cache.delete('k');
      expect(await cache.get('k')).toBeNull();
      await expect(cache.delete('k')).resolves.toBeUndefined();
    });

    it('round-trips JSON values of every shape', async () => {
      const values: Record<string, unknown> = {
        string: 'hello',
        empty: '',
        unicode: 'Grüße 👋 مرحبا',
        zero: 0,
        negative: -12.5,
        false: false,
        true: true,
        array: [1, 'two', { three: [3] }, null],
        emptyArray: [],
        emptyObject: {},
        nested: { session: { id: 's1', status: 'ready', me: { wid: '123@c.us' } }, tags: ['a'], count: 3 },
      };
      for (const [key, value] of Object.entries(values)) await cache.set(`shape:${key}`, value, LONG_TTL_S);
      for (const [key, value] of Object.entries(values)) expect(await cache.get(`shape:${key}`)).toEqual(value);
    });

    it('hands out copies, not the stored value', async () => {
      const original = { list: [1, 2] };
      await cache.set('copy', original, LONG_TTL_S);
      original.list.push(3);
      const read = await cache.get<{ list: number[] }>('copy');
      read?.list.push(4);
      expect(await cache.get('copy')).toEqual({ list: [1, 2] });
    });

    it('expires an entry after its TTL', async () => {
      await cache.set('short', 'soon gone', SHORT_TTL_S);
      await waitFor('the entry to expire', async () => (await cache.get('short')) === null, { timeoutMs: 10_000, intervalMs: 50 });
    });

    it('overwrites value and TTL of an existing key', async () => {
      await cache.set('over', 'first', SHORT_TTL_S);
      await cache.set('over', 'second', LONG_TTL_S);
      await cache.set('witness', 'w', SHORT_TTL_S);
      expect(await cache.get('over')).toBe('second');
      // Once a key written with the short TTL after the first write is gone, the first TTL has passed too.
      await waitFor('the witness to expire', async () => (await cache.get('witness')) === null, { timeoutMs: 10_000, intervalMs: 50 });
      expect(await cache.get('over')).toBe('second');
    });

    it('deleteByPrefix removes exactly the keys with that prefix, taken literally', async () => {
      const keys = ['users:1', 'users:2', 'users:1:deep', 'users2:x', 'other:users:1', 'a*b:1', 'aXb:1', 'a?b:1', 'a[b]:1'];
      for (const key of keys) await cache.set(key, key, LONG_TTL_S);
      expect(await cache.deleteByPrefix('users:')).toBe(3);
      expect(await cache.deleteByPrefix('a*b:')).toBe(1);
      expect(await cache.deleteByPrefix('a[b]')).toBe(1);
      expect(await cache.deleteByPrefix('no-such-prefix:')).toBe(0);
      const left = [];
      for (const key of keys) if ((await cache.get(key)) !== null) left.push(key);
      expect(left).toEqual(['users2:x', 'other:users:1', 'aXb:1', 'a?b:1']);
    });

    it(`deleteByPrefix handles ${options.bulkKeys} keys and leaves the rest`, async () => {
      const bulk = Array.from({ length: options.bulkKeys }, (_, i) => `bulk:${i}`);
      for (let i = 0; i < bulk.length; i += 200) {
        await Promise.all(bulk.slice(i, i + 200).map((key, j) => cache.set(key, { i: i + j }, LONG_TTL_S)));
      }
      await cache.set('bulkier:keep', 'kept', LONG_TTL_S);
      expect(await cache.get(bulk[bulk.length - 1])).toEqual({ i: bulk.length - 1 });

      expect(await cache.deleteByPrefix('bulk:')).toBe(options.bulkKeys);
      const survivors = await Promise.all(bulk.map((key) => cache.get(key)));
      expect(survivors.filter((value) => value !== null)).toHaveLength(0);
      expect(await cache.get('bulkier:keep')).toBe('kept');
    });

    it('refuses caller mistakes with VALIDATION_FAILED', async () => {
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) await expectInvalid(cache.set('k', 1, ttl));
      await expectInvalid(cache.set('k', undefined, LONG_TTL_S));
      await expectInvalid(cache.set('k', { big: 1n }, LONG_TTL_S));
      await expectInvalid(cache.set('', 1, LONG_TTL_S));
      await expectInvalid(cache.deleteByPrefix(''));
      expect(await cache.get('k')).toBeNull();
    });

    it('reports up in health', async () => {
      const health = await cache.health();
      expect(health).toMatchObject({ socket: 'cache', plug: cache.plug, status: 'up' });
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('after close, misses and ignores writes without throwing', async () => {
      await cache.set('k', 1, LONG_TTL_S);
      await cache.close();
      expect(await cache.get('k')).toBeNull();
      await expect(cache.set('k', 2, LONG_TTL_S)).resolves.toBeUndefined();
      await expect(cache.delete('k')).resolves.toBeUndefined();
      expect(await cache.deleteByPrefix('k')).toBe(0);
      expect((await cache.health()).status).toBe('down');
    });
  });
}
