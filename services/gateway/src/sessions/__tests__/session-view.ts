import type { SessionView } from '@plugboard/contracts';

/** A session as the session-worker shows it, ready on `s1` unless `overrides` say otherwise. */
export function sessionView(overrides: Partial<SessionView> = {}): SessionView {
  return {
    id: 's1',
    name: 'one',
    engine: 'simulator',
    status: 'ready',
    desiredState: 'running',
    phone: null,
    pushName: null,
    lastError: null,
    connectedAt: null,
    owner: null,
    config: {},
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    ...overrides,
  };
}
