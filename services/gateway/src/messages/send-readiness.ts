import { ErrorCode } from '@plugboard/contracts';
import type { Database, SessionStatus } from '@plugboard/database';
import { ServiceError } from '@plugboard/service-kit';
import type { SessionStatusCache } from '../sessions/session-status-cache';

/** What a send needs of its session: that it exists, and its phone (the rows' `from`). */
export interface SessionSender {
  id: string;
  phone: string | null;
}

/** How long a session's sender is remembered: a phone changes only on a new pairing. */
const SENDER_TTL_MS = 5_000;
/** Above this many remembered sessions, expired ones are dropped. */
const PRUNE_ABOVE = 10_000;

/**
 * Checks a session can take a send: it exists (404), and it is `ready` (409 SESSION_NOT_READY
 * with its status) unless QUEUE_WHEN_NOT_READY lets rows wait pending until it is. The status
 * comes from the status cache (kept current by session events); the sender is remembered for
 * a few seconds in this process, so a burst of sends reads the session row once, not once
 * per message. A session deleted meanwhile is still caught: its rows' foreign key refuses
 * the insert (see `sessionGone`).
 */
export class SendReadiness {
  private readonly senders = new Map<string, { sender: SessionSender; until: number }>();
  /** Status reads in flight, per session. */
  private readonly statusReads = new Map<string, Promise<SessionStatus>>();

  constructor(
    private readonly database: Database,
    private readonly statusCache: SessionStatusCache,
    private readonly queueWhenNotReady: boolean,
  ) {}

  async require(sessionId: string): Promise<SessionSender> {
    const { sender, status: readStatus } = await this.sender(sessionId);
    if (this.queueWhenNotReady) return sender;
    const status = await this.status(sessionId, readStatus);
    if (status !== 'ready') {
      throw new ServiceError(ErrorCode.SessionNotReady, `session ${sessionId} is ${status}, not ready`, { sessionId, status });
    }
    return sender;
  }

  /**
   * The session's status from the status cache. Sends of a session arriving while a read of
   * it is in flight share that read, so a burst costs one cache round trip per session, not
   * one per send; what they get is as fresh as a read of their own would be, give or take
   * that round trip.
   */
  private status(sessionId: string, readStatus: SessionStatus | undefined): Promise<SessionStatus> {
    let read = this.statusReads.get(sessionId);
    if (!read) {
      // A status not cached comes from the row just read, or (sender remembered) one read now.
      read = this.statusCache
        .get(sessionId, async () => {
          if (readStatus !== undefined) return { id: sessionId, status: readStatus };
          const session = await this.database.sessions.get(sessionId);
          if (!session) throw notFound(sessionId);
          return { id: session.id, status: session.status };
        })
        .then(({ status }) => status)
        .finally(() => this.statusReads.delete(sessionId));
      this.statusReads.set(sessionId, read);
    }
    return read;
  }

  /** The 404 of a session that disappeared between the check and the insert. */
  sessionGone(sessionId: string): ServiceError {
    this.senders.delete(sessionId);
    return notFound(sessionId);
  }

  /** The session's sender; with its status when the row was read for it (not remembered). */
  private async sender(sessionId: string): Promise<{ sender: SessionSender; status?: SessionStatus }> {
    const now = Date.now();
    const known = this.senders.get(sessionId);
    if (known && known.until > now) return { sender: known.sender };
    const session = await this.database.sessions.get(sessionId);
    if (!session) {
      this.senders.delete(sessionId);
      throw notFound(sessionId);
    }
    if (this.senders.size >= PRUNE_ABOVE) {
      for (const [id, entry] of this.senders) if (entry.until <= now) this.senders.delete(id);
    }
    const sender = { id: session.id, phone: session.phone ?? null };
    this.senders.set(sessionId, { sender, until: now + SENDER_TTL_MS });
    return { sender, status: session.status };
  }
}

function notFound(sessionId: string): ServiceError {
  return new ServiceError(ErrorCode.NotFound, `session ${sessionId} not found`, { sessionId });
}
