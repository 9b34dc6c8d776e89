import type { SessionView } from '@plugboard/contracts';
import type { SessionEntity } from '@plugboard/database';

/** The API view of a session row; `owner` only while its lease is live. */
export function toSessionView(session: SessionEntity, now: Date = new Date()): SessionView {
  const leaseLive = !!session.leaseOwner && !!session.leaseExpiresAt && session.leaseExpiresAt.getTime() >= now.getTime();
  return {
    id: session.id,
    name: session.name,
    engine: session.engine,
    status: session.status,
    desiredState: session.desiredState,
    phone: session.phone ?? null,
    pushName: session.pushName ?? null,
    lastError: session.lastError ?? null,
    connectedAt: session.connectedAt ? session.connectedAt.toISOString() : null,
    owner: leaseLive ? (session.leaseOwner ?? null) : null,
    config: session.config,
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
  };
}
