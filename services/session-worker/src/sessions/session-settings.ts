import type { AppConfig } from '@plugboard/config';

/** The session-worker's lease and lifecycle settings, read once from the validated config. */
export interface SessionSettings {
  leaseTtlMs: number;
  startStaggerMs: number;
  reconnectMaxMs: number;
  maxSessions: number;
}

export function sessionSettingsOf(config: AppConfig): SessionSettings {
  return {
    leaseTtlMs: config.SESSION_LEASE_TTL_MS,
    startStaggerMs: config.SESSION_START_STAGGER_MS,
    reconnectMaxMs: config.SESSION_RECONNECT_MAX_MS,
    maxSessions: config.MAX_SESSIONS_PER_WORKER,
  };
}
