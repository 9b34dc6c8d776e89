import type { MikroORM } from '@mikro-orm/core';
import type { SocketHealth } from '@plugboard/contracts';
import type { DatabasePlug } from './database.config';
import type { DatabaseConnector } from './database-connector';

export const DEFAULT_DATABASE_PROBE_TIMEOUT_MS = 3_000;

/** The database socket's health: connection state first, then a `SELECT 1` round trip. */
export class DatabaseHealth {
  constructor(
    private readonly orm: MikroORM,
    private readonly plug: DatabasePlug,
    private readonly connector?: DatabaseConnector,
  ) {}

  /** Never throws and never takes longer than `timeoutMs`: an unreachable database is `down` with the reason. */
  async probe(timeoutMs = DEFAULT_DATABASE_PROBE_TIMEOUT_MS): Promise<SocketHealth> {
    const base = { socket: 'database', plug: this.plug } as const;
    const state = this.connector?.state();
    if (state && state.status !== 'ready') {
      const detail = state.status === 'connecting' ? `connecting (attempt ${state.attempts})` : state.status;
      return { ...base, status: 'down', detail: state.reason ? `${detail}: ${state.reason}` : detail };
    }
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to SELECT 1 within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.orm.em.getConnection().execute('select 1'), timeout]);
      return { ...base, status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ...base, status: 'down', latencyMs: Math.round(performance.now() - started), detail: reason };
    } finally {
      clearTimeout(timer);
    }
  }
}
