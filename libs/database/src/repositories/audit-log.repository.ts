import { type EntityManager, type FilterQuery, type MikroORM } from '@mikro-orm/core';
import { ErrorCode } from '@plugboard/contracts';
import { DatabaseError } from '../database.errors';
import { AuditLogEntity } from '../entities/audit-log.entity';
import { guardDriverErrors } from './guard-driver-errors';

export type NewAuditLog = Pick<AuditLogEntity, 'action'> &
  Partial<Pick<AuditLogEntity, 'at' | 'actorKeyId' | 'actorName' | 'target' | 'ip' | 'details'>>;

export interface AuditLogQuery {
  action?: string;
  /** Inclusive lower bound of `at`. */
  from?: Date;
  /** Exclusive upper bound of `at`. */
  to?: Date;
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AuditLogPage {
  items: AuditLogEntity[];
  /** Present when more entries follow. */
  nextCursor?: string;
}

/** The audit log: append, read newest first with keyset pagination, and forget old entries. */
export class AuditLogRepository {
  constructor(private readonly orm: MikroORM) {}

  /** Appends one entry. */
  record(entry: NewAuditLog): Promise<AuditLogEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const row = em.create(AuditLogEntity, {
        action: entry.action,
        at: entry.at ?? new Date(),
        actorKeyId: entry.actorKeyId ?? null,
        actorName: entry.actorName ?? null,
        target: entry.target ?? null,
        ip: entry.ip ?? null,
        details: entry.details ?? null,
      });
      await em.persistAndFlush(row);
      return row;
    });
  }

  /** Newest first; keyset on (at, id) so pages stay stable while entries are appended. */
  list(query: AuditLogQuery): Promise<AuditLogPage> {
    return guardDriverErrors(async () => {
      const and: FilterQuery<AuditLogEntity>[] = [];
      if (query.action) and.push({ action: query.action });
      if (query.from) and.push({ at: { $gte: query.from } });
      if (query.to) and.push({ at: { $lt: query.to } });
      if (query.cursor) {
        const { at, id } = decodeAuditCursor(query.cursor);
        and.push({ $or: [{ at: { $lt: at } }, { at, id: { $lt: id } }] });
      }
      const rows = await this.em().find(
        AuditLogEntity,
        and.length ? { $and: and } : {},
        { orderBy: { at: 'desc', id: 'desc' }, limit: query.limit + 1 },
      );
      const items = rows.slice(0, query.limit);
      const last = items[items.length - 1];
      return rows.length > query.limit && last ? { items, nextCursor: encodeAuditCursor(last) } : { items };
    });
  }

  /** Deletes entries older than `before`; returns how many. */
  deleteOlderThan(before: Date): Promise<number> {
    return guardDriverErrors(() => this.em().nativeDelete(AuditLogEntity, { at: { $lt: before } }));
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}

/** Opaque to clients: base64url of `[epochMillis, id]`. */
function encodeAuditCursor(row: Pick<AuditLogEntity, 'at' | 'id'>): string {
  return Buffer.from(JSON.stringify([row.at.getTime(), row.id])).toString('base64url');
}

function decodeAuditCursor(raw: string): { at: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { at: new Date(value[0]), id: value[1] };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new DatabaseError(ErrorCode.ValidationFailed, 'invalid audit cursor', { cursor: raw });
}
