import { type EntityManager, LockMode, type MikroORM } from '@mikro-orm/core';
import { DatabaseError } from '../database.errors';
import { type ApiKeyRole, ApiKeyEntity } from '../entities/api-key.entity';
import { guardDriverErrors } from './guard-driver-errors';

export interface NewApiKey {
  name: string;
  prefix: string;
  /** Hex SHA-256 of the plain key. */
  hash: string;
  role: ApiKeyRole;
  sessionIds?: string[];
  ipRanges?: string[];
  expiresAt?: Date | null;
  createdBy?: string | null;
}

export interface ApiKeyRepositoryOptions {
  /** Lock the admin rows while revoking (PostgreSQL); SQLite serialises writers anyway. */
  lockRows: boolean;
}

/** True while a key may be used: not revoked and not past its expiry. */
export function apiKeyActive(key: Pick<ApiKeyEntity, 'revokedAt' | 'expiresAt'>, now = new Date()): boolean {
  return !key.revokedAt && (!key.expiresAt || key.expiresAt.getTime() > now.getTime());
}

/** API keys of the HTTP API, shared by every gateway replica through the database. */
export class ApiKeyRepository {
  constructor(
    private readonly orm: MikroORM,
    private readonly options: ApiKeyRepositoryOptions = { lockRows: false },
  ) {}

  /** Stores a new key; a hash already present is a CONFLICT. */
  create(input: NewApiKey): Promise<ApiKeyEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const key = em.create(ApiKeyEntity, {
        name: input.name,
        prefix: input.prefix,
        hash: input.hash,
        role: input.role,
        sessionIds: input.sessionIds ?? [],
        ipRanges: input.ipRanges ?? [],
        expiresAt: input.expiresAt ?? null,
        createdBy: input.createdBy ?? null,
      });
      await em.persistAndFlush(key);
      return key;
    });
  }

  /**
   * Inserts the key unless one with the same hash exists (revoked or not), and returns the
   * stored row: replicas booting at once with the same master key insert it once.
   */
  ensure(input: NewApiKey): Promise<ApiKeyEntity> {
    return guardDriverErrors(async () => {
      const existing = await this.findByHash(input.hash);
      if (existing) return existing;
      try {
        return await this.create(input);
      } catch (error) {
        const raced = error instanceof DatabaseError && (await this.findByHash(input.hash));
        if (raced) return raced;
        throw error;
      }
    });
  }

  findByHash(hash: string): Promise<ApiKeyEntity | null> {
    return guardDriverErrors(() => this.em().findOne(ApiKeyEntity, { hash }));
  }

  get(id: string): Promise<ApiKeyEntity | null> {
    return guardDriverErrors(() => this.em().findOne(ApiKeyEntity, { id }));
  }

  /** Every key, revoked ones included, oldest first. */
  list(): Promise<ApiKeyEntity[]> {
    return guardDriverErrors(() => this.em().find(ApiKeyEntity, {}, { orderBy: { createdAt: 'asc', id: 'asc' } }));
  }

  /**
   * Revokes a key. NOT_FOUND for an unknown id; CONFLICT when it is the last active admin key
   * (nobody could manage keys any more). The check and the update share one transaction with
   * the admin rows locked, so two concurrent revokes cannot remove the last two admins.
   */
  revoke(id: string, now = new Date()): Promise<ApiKeyEntity> {
    return guardDriverErrors(() =>
      this.orm.em.fork().transactional(async (em) => {
        const lock = { lockMode: this.options.lockRows ? LockMode.PESSIMISTIC_WRITE : LockMode.NONE } as const;
        const key = await em.findOne(ApiKeyEntity, { id }, lock);
        if (!key) throw DatabaseError.notFound('API key', id);
        if (key.revokedAt) return key;
        if (key.role === 'admin' && apiKeyActive(key, now)) {
          const admins = await em.find(ApiKeyEntity, { role: 'admin', revokedAt: null }, lock);
          const others = admins.filter((admin) => admin.id !== id && apiKeyActive(admin, now));
          if (others.length === 0) throw DatabaseError.conflict('the last active admin key cannot be revoked', { id });
        }
        key.revokedAt = now;
        return key;
      }),
    );
  }

  /** Records when the key was last used; callers throttle this, it is informational. */
  touch(id: string, at = new Date()): Promise<void> {
    return guardDriverErrors(async () => {
      await this.em().nativeUpdate(ApiKeyEntity, { id }, { lastUsedAt: at });
    });
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}
