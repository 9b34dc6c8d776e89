import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiKeyEntity, ApiKeyRepository, DatabaseConnector, apiKeyActive } from '@plugboard/database';
import { ServiceLogger } from '@plugboard/service-kit';
import { AdminKey } from './admin-key';
import type { ApiKeyPrincipal } from './api-key-principal';
import { hashApiKey, keyPrefix } from './api-key-secret';

/**
 * How long a key (or its absence) is remembered in memory. Keys live in the database shared
 * by every gateway replica; a revoke or expiry takes effect everywhere within this time.
 */
export const KEY_CACHE_TTL_MS = 5_000;
/** `lastUsedAt` is written at most this often per key: it is informational, not worth a write per request. */
const TOUCH_INTERVAL_MS = 60_000;
/** Bound of the in-memory cache, so random keys sprayed at the API cannot grow it without limit. */
const MAX_CACHED = 10_000;

export type KeyVerdict =
  | { ok: true; principal: ApiKeyPrincipal; ipRanges: string[] }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' };

type CachedKey = Pick<ApiKeyEntity, 'id' | 'name' | 'role' | 'sessionIds' | 'ipRanges' | 'expiresAt' | 'revokedAt'>;

interface CacheEntry {
  key: CachedKey | null;
  until: number;
}

/**
 * Finds API keys by the SHA-256 of the presented key, with a short in-memory cache. Also
 * stores the master key (API_MASTER_KEY or DATA_DIR/.api-key) as an admin key on first use
 * or at boot, whichever comes first; the unique hash makes that idempotent across replicas.
 */
@Injectable()
export class ApiKeyStore implements OnApplicationBootstrap {
  private readonly cache = new Map<string, CacheEntry>();
  /** Lookups in flight by hash: concurrent requests with a key not cached share one query. */
  private readonly loading = new Map<string, Promise<CachedKey | null>>();
  /** Bumped whenever cached keys are forgotten: a lookup started before that is not cached. */
  private generation = 0;
  private readonly touched = new Map<string, number>();
  private masterSeed?: Promise<void>;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly adminKey: AdminKey,
    private readonly connector: DatabaseConnector,
    private readonly logger: ServiceLogger,
  ) {}

  /** Seeds the master key once the database is ready, without holding up the boot. */
  onApplicationBootstrap(): void {
    this.connector
      .whenReady()
      .then(() => this.ensureMasterKey())
      .catch((error: unknown) => this.logger.warn(`master API key not stored yet: ${String(error)}`, 'ApiKeyStore'));
  }

  /** Checks a presented key: ok with its principal, or why not. */
  async verify(plain: string, now = new Date()): Promise<KeyVerdict> {
    const known = this.verifyCached(plain, now);
    if (known) return known;
    const hash = hashApiKey(plain);
    let key = await this.lookup(hash);
    if (!key && this.adminKey.matches(plain)) {
      await this.ensureMasterKey();
      this.forget();
      key = await this.lookup(hash);
    }
    return verdictOf(key, now);
  }

  /**
   * `verify` without waiting, for a key (or its absence) cached in the last KEY_CACHE_TTL_MS;
   * undefined when the database has to be asked. Most requests end here.
   */
  verifyCached(plain: string, now = new Date()): KeyVerdict | undefined {
    const cached = this.fresh(hashApiKey(plain), now.getTime());
    // An unknown key may be the master key not stored yet: only verify() seeds it.
    if (!cached || (!cached.key && this.adminKey.matches(plain))) return undefined;
    return verdictOf(cached.key, now);
  }

  /** Forgets cached keys (after a create or revoke on this replica). */
  invalidate(): void {
    this.forget();
  }

  /** Records use of a key, at most once a minute per key; failures are only logged. */
  touch(id: string, now = Date.now()): void {
    if ((this.touched.get(id) ?? 0) > now - TOUCH_INTERVAL_MS) return;
    if (this.touched.size >= MAX_CACHED) this.touched.clear();
    this.touched.set(id, now);
    this.keys.touch(id, new Date(now)).catch((error: unknown) => this.logger.warn(`lastUsedAt not recorded: ${String(error)}`, 'ApiKeyStore'));
  }

  /** Stores the master key as an admin key unless its hash is there already (revoked counts: it stays revoked). */
  ensureMasterKey(): Promise<void> {
    this.masterSeed ??= this.keys
      .ensure({
        name: this.adminKey.source === 'env' ? 'master key (API_MASTER_KEY)' : 'master key (DATA_DIR/.api-key)',
        prefix: keyPrefix(this.adminKey.value),
        hash: hashApiKey(this.adminKey.value),
        role: 'admin',
      })
      .then(() => undefined)
      .catch((error: unknown) => {
        this.masterSeed = undefined; // try again on the next use
        throw error;
      });
    return this.masterSeed;
  }

  private fresh(hash: string, now: number): CacheEntry | undefined {
    const cached = this.cache.get(hash);
    return cached && cached.until > now ? cached : undefined;
  }

  private forget(): void {
    this.cache.clear();
    this.loading.clear();
    this.generation++;
  }

  private lookup(hash: string): Promise<CachedKey | null> {
    const cached = this.fresh(hash, Date.now());
    if (cached) return Promise.resolve(cached.key);
    const running = this.loading.get(hash);
    if (running) return running;
    const generation = this.generation;
    const pending = this.keys.findByHash(hash).then((row) => {
      if (generation === this.generation) {
        if (this.cache.size >= MAX_CACHED) this.cache.clear();
        this.cache.set(hash, { key: row, until: Date.now() + KEY_CACHE_TTL_MS });
      }
      return row;
    });
    const settled = () => {
      if (this.loading.get(hash) === pending) this.loading.delete(hash);
    };
    pending.then(settled, settled);
    this.loading.set(hash, pending);
    return pending;
  }
}

function verdictOf(key: CachedKey | null, now: Date): KeyVerdict {
  if (!key) return { ok: false, reason: 'unknown' };
  if (key.revokedAt) return { ok: false, reason: 'revoked' };
  if (!apiKeyActive(key, now)) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    principal: { id: key.id, name: key.name, role: key.role, sessionIds: [...key.sessionIds] },
    ipRanges: [...key.ipRanges],
  };
}
