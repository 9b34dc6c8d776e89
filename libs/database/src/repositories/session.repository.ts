import { type EntityManager, type FilterQuery, type MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import { DatabaseError } from '../database.errors';
import {
  type SessionDesiredState,
  type SessionEngine,
  SessionEntity,
  type SessionStatus,
} from '../entities/session.entity';
import { guardDriverErrors } from './guard-driver-errors';

export interface NewSession {
  name: string;
  engine: SessionEngine;
  desiredState?: SessionDesiredState;
  config?: Record<string, unknown>;
}

/** Fields a session-worker writes while it holds the lease (see `updateIfOwner`). */
export type SessionRuntimeChanges = Partial<
  Pick<SessionEntity, 'status' | 'phone' | 'pushName' | 'lastError' | 'connectedAt' | 'lastActiveAt'>
>;

/** Fields anyone may change (API calls), plus the runtime ones. */
export type SessionChanges = SessionRuntimeChanges &
  Partial<Pick<SessionEntity, 'name' | 'desiredState' | 'engine' | 'config'>>;

export interface SessionListFilter {
  status?: SessionStatus;
  desiredState?: SessionDesiredState;
}

/**
 * Sessions and their leases. Every call works on its own forked EntityManager, so the
 * repository is safe outside a request scope; lease changes are conditional UPDATEs whose
 * affected-row count decides who won.
 */
export class SessionRepository {
  constructor(private readonly orm: MikroORM) {}

  /** Creates a session; a taken name is a CONFLICT. */
  create(input: NewSession): Promise<SessionEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const session = em.create(SessionEntity, {
        name: input.name,
        engine: input.engine,
        desiredState: input.desiredState ?? 'stopped',
        config: input.config ?? {},
      });
      try {
        await em.persistAndFlush(session);
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) {
          throw DatabaseError.conflict(`a session named "${input.name}" already exists`, { name: input.name });
        }
        throw error;
      }
      return session;
    });
  }

  get(id: string): Promise<SessionEntity | null> {
    return guardDriverErrors(() => this.em().findOne(SessionEntity, { id }));
  }

  getByName(name: string): Promise<SessionEntity | null> {
    return guardDriverErrors(() => this.em().findOne(SessionEntity, { name }));
  }

  /** All sessions (optionally filtered), oldest first. */
  list(filter: SessionListFilter = {}): Promise<SessionEntity[]> {
    const where: FilterQuery<SessionEntity> = {};
    if (filter.status) where.status = filter.status;
    if (filter.desiredState) where.desiredState = filter.desiredState;
    return guardDriverErrors(() => this.em().find(SessionEntity, where, { orderBy: { createdAt: 'asc', id: 'asc' } }));
  }

  /** Unfenced update (API side); NOT_FOUND when missing, CONFLICT on a taken name. */
  update(id: string, changes: SessionChanges): Promise<SessionEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      let affected: number;
      try {
        affected = await em.nativeUpdate(SessionEntity, { id }, { ...changes, updatedAt: new Date() });
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) {
          throw DatabaseError.conflict(`a session named "${changes.name}" already exists`, { name: changes.name });
        }
        throw error;
      }
      if (affected === 0) throw DatabaseError.notFound('session', id);
      return em.fork().findOneOrFail(SessionEntity, { id });
    });
  }

  /** Deletes the session with its messages and batches (ON DELETE CASCADE); false when it did not exist. */
  delete(id: string): Promise<boolean> {
    return guardDriverErrors(async () => (await this.em().nativeDelete(SessionEntity, { id })) > 0);
  }

  /**
   * Takes the lease when it is free, expired or already `owner`'s, and bumps the generation.
   * Returns the new generation, or null when someone else holds it (or won a race for it):
   * the UPDATE is a compare-and-swap on the generation that was read.
   */
  claim(sessionId: string, owner: string, ttlMs: number, now = new Date()): Promise<number | null> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const session = await em.findOne(SessionEntity, { id: sessionId });
      if (!session || !leaseAvailable(session, owner, now)) return null;
      const generation = session.leaseGeneration + 1;
      const affected = await em.nativeUpdate(
        SessionEntity,
        { $and: [{ id: sessionId, leaseGeneration: session.leaseGeneration }, availableTo(owner, now)] },
        { leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + ttlMs), leaseGeneration: generation, updatedAt: now },
      );
      return affected === 1 ? generation : null;
    });
  }

  /** Extends the lease only while `owner` still holds `generation`. */
  renew(sessionId: string, owner: string, generation: number, ttlMs: number, now = new Date()): Promise<boolean> {
    return guardDriverErrors(async () => {
      const affected = await this.em().nativeUpdate(
        SessionEntity,
        { id: sessionId, leaseOwner: owner, leaseGeneration: generation },
        { leaseExpiresAt: new Date(now.getTime() + ttlMs), updatedAt: now },
      );
      return affected === 1;
    });
  }

  /** Gives the lease up (graceful stop, drain); the generation stays so old writes stay fenced. */
  release(sessionId: string, owner: string, generation: number): Promise<boolean> {
    return guardDriverErrors(async () => {
      const affected = await this.em().nativeUpdate(
        SessionEntity,
        { id: sessionId, leaseOwner: owner, leaseGeneration: generation },
        { leaseOwner: null, leaseExpiresAt: null, updatedAt: new Date() },
      );
      return affected === 1;
    });
  }

  /** Sessions that should run and that nobody holds (free or expired lease), oldest first. */
  listClaimable(now: Date, limit: number): Promise<SessionEntity[]> {
    return guardDriverErrors(() =>
      this.em().find(
        SessionEntity,
        { desiredState: 'running', $or: [{ leaseOwner: null }, { leaseExpiresAt: null }, { leaseExpiresAt: { $lt: now } }] },
        { orderBy: { createdAt: 'asc', id: 'asc' }, limit },
      ),
    );
  }

  /** Sessions whose lease names `owner` (expired or not: the caller decides what to do with them). */
  listOwnedBy(owner: string): Promise<SessionEntity[]> {
    return guardDriverErrors(() =>
      this.em().find(SessionEntity, { leaseOwner: owner }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
    );
  }

  /**
   * Fenced update: applies `changes` only while the lease is held at `generation`, so a
   * worker that lost the session (older generation, or released) can never overwrite it.
   */
  updateIfOwner(sessionId: string, generation: number, changes: SessionRuntimeChanges): Promise<boolean> {
    return guardDriverErrors(async () => {
      const affected = await this.em().nativeUpdate(
        SessionEntity,
        { id: sessionId, leaseGeneration: generation, leaseOwner: { $ne: null } },
        { ...changes, updatedAt: new Date() },
      );
      return affected === 1;
    });
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}

function leaseAvailable(session: SessionEntity, owner: string, now: Date): boolean {
  if (!session.leaseOwner || session.leaseOwner === owner) return true;
  return !session.leaseExpiresAt || session.leaseExpiresAt.getTime() < now.getTime();
}

function availableTo(owner: string, now: Date): FilterQuery<SessionEntity> {
  return { $or: [{ leaseOwner: null }, { leaseOwner: owner }, { leaseExpiresAt: null }, { leaseExpiresAt: { $lt: now } }] };
}
