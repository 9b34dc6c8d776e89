import { Injectable } from '@nestjs/common';
import { ErrorCode } from '@plugboard/contracts';
import { Database, SessionEntity } from '@plugboard/database';
import { BusPort } from '@plugboard/messaging';
import { ServiceError } from '@plugboard/service-kit';

const STOP_TIMEOUT_MS = 30_000;
const POLL_MS = 250;

/**
 * Sessions live on workers (a lease held and not expired). A replace import pulls their rows
 * away, so it refuses while any runs, or first stops them through their workers when asked.
 */
@Injectable()
export class RunningSessions {
  constructor(
    private readonly database: Database,
    private readonly bus: BusPort,
  ) {}

  /** SESSIONS_RUNNING unless none runs, or `stop` and every one stopped in time. */
  async ensureNoneRunning(stop: boolean): Promise<void> {
    const live = await this.find();
    if (live.length === 0) return;
    const names = live.map((s) => s.name);
    if (!stop) {
      throw new ServiceError(
        ErrorCode.SessionsRunning,
        `${live.length} session(s) are running on workers (${names.slice(0, 10).join(', ')}): stop them first, or pass ?stopSessions=true to have them stopped before the data is replaced`,
        { sessions: live.map((s) => s.id) },
      );
    }
    for (const session of live) await this.bus.request('sessions.stop', { id: session.id }, { timeoutMs: STOP_TIMEOUT_MS });
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if ((await this.find()).length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new ServiceError(ErrorCode.SessionsRunning, 'sessions were asked to stop but still hold their leases; try again', { sessions: live.map((s) => s.id) });
  }

  private find(): Promise<Pick<SessionEntity, 'id' | 'name'>[]> {
    return this.database.orm.em
      .fork()
      .find(SessionEntity, { leaseOwner: { $ne: null }, leaseExpiresAt: { $gt: new Date() } }, { fields: ['id', 'name'], limit: 1000 });
  }
}
