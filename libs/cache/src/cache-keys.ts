import { SessionIdSchema } from '@plugboard/contracts';
import { CacheError } from './cache.errors';

/**
 * Every key the gateway caches, built in one place so writers and invalidations agree.
 * Session ids are checked because a ':' in one would let its prefix cover another session.
 */
export const CacheKeys = {
  sessionStatus: (sessionId: string) => `${sessionPrefix(sessionId)}status`,
  sessionInfo: (sessionId: string) => `${sessionPrefix(sessionId)}info`,
  sessionQr: (sessionId: string) => `${sessionPrefix(sessionId)}qr`,
  sessionsList: () => 'sessions:list',
  sessionsStats: () => 'sessions:stats',
  /** Prefix of all keys of one session, for `deleteByPrefix` when it is stopped, logged out or deleted. */
  sessionPrefix: (sessionId: string) => sessionPrefix(sessionId),
} as const;

function sessionPrefix(sessionId: string): string {
  if (!SessionIdSchema.safeParse(sessionId).success) {
    throw CacheError.invalid(`invalid session id "${sessionId}" for a cache key: letters, digits, "-" and "_" only (1-64)`);
  }
  return `session:${sessionId}:`;
}
