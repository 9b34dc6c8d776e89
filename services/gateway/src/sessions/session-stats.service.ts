import { Injectable } from '@nestjs/common';
import { Database } from '@plugboard/database';
import type { SessionScope } from '../auth/session-scope';
import { SessionReadCache } from './session-read-cache';
import { type SessionStats, scopedSessionStats, sessionStats, statsSince } from './session-stats';
import { SessionsClient } from './sessions.client';

/**
 * `GET /api/sessions/stats`: one document for every session, cached for
 * CACHE_TTL_SESSIONS_STATS_S and cut down per key, so a dashboard polling it costs one grouped
 * count over the last day's messages per TTL, whoever asks. Message traffic does not drop it
 * (the TTL bounds how stale the counts get); session changes do, like the list (see SessionReadCache).
 */
@Injectable()
export class SessionStatsService {
  constructor(
    private readonly client: SessionsClient,
    private readonly readCache: SessionReadCache,
    private readonly database: Database,
  ) {}

  /** The stats of the sessions `allowed` covers (all of them when undefined). */
  async get(allowed: SessionScope): Promise<SessionStats> {
    return scopedSessionStats(await this.readCache.stats(() => this.load()), allowed);
  }

  /** The sessions through the cached list, then one grouped count of their messages of the window. */
  private async load(): Promise<SessionStats> {
    const generatedAt = new Date();
    const { sessions } = await this.readCache.list(() => this.client.request('sessions.list', {}));
    const counts = await this.database.messages.countsSince(sessions.map((session) => session.id), statsSince(generatedAt));
    return sessionStats(sessions, counts, generatedAt);
  }
}
