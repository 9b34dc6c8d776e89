import type { AppConfig } from '@plugboard/config';

/** The config variables that override the TTLs below. */
export type CacheTtlConfig = Pick<
  AppConfig,
  | 'CACHE_TTL_SESSION_STATUS_S'
  | 'CACHE_TTL_SESSION_INFO_S'
  | 'CACHE_TTL_QR_S'
  | 'CACHE_TTL_SESSIONS_LIST_S'
  | 'CACHE_TTL_SESSIONS_STATS_S'
>;

/** Seconds each kind of entry stays fresh; the config schema has the same defaults. */
export const DEFAULT_CACHE_TTL = {
  sessionStatus: 300,
  sessionInfo: 600,
  // A QR code is replaced by WhatsApp about every 20-60 s.
  qr: 60,
  sessionsList: 30,
  sessionsStats: 15,
} as const;

export type CacheTtls = Record<keyof typeof DEFAULT_CACHE_TTL, number>;

/** TTLs in seconds from the config, falling back to the defaults for variables left out. */
export function cacheTtls(config: Partial<CacheTtlConfig> = {}): CacheTtls {
  return {
    sessionStatus: config.CACHE_TTL_SESSION_STATUS_S ?? DEFAULT_CACHE_TTL.sessionStatus,
    sessionInfo: config.CACHE_TTL_SESSION_INFO_S ?? DEFAULT_CACHE_TTL.sessionInfo,
    qr: config.CACHE_TTL_QR_S ?? DEFAULT_CACHE_TTL.qr,
    sessionsList: config.CACHE_TTL_SESSIONS_LIST_S ?? DEFAULT_CACHE_TTL.sessionsList,
    sessionsStats: config.CACHE_TTL_SESSIONS_STATS_S ?? DEFAULT_CACHE_TTL.sessionsStats,
  };
}
