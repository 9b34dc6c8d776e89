import type { InfraProfile, ServiceName } from '@plugboard/contracts';

export interface RestartPlan {
  /** Our services to restart (every instance of each). */
  services: ServiceName[];
  /** Bundled backends to run; the others are stopped. Undefined: left as they are. */
  profiles?: InfraProfile[];
}

/**
 * The orchestrator socket: how infra-admin restarts services. Plugs: `none` (a broadcast; each
 * service exits for its supervisor, embedded mode reboots in place), `docker` (Engine API) and
 * `kubernetes` (rollout restart of the Deployments).
 */
export abstract class OrchestratorPort {
  /** Which plug this is, for replies and logs. */
  abstract readonly plug: 'none' | 'docker' | 'kubernetes';

  /**
   * Restarts `plan.services` (and applies `plan.profiles` where the plug can). Resolves with one
   * line per action taken or scheduled; anything that would cut the current request short (the
   * gateway, infra-admin itself) happens after the reply.
   */
  abstract restart(plan: RestartPlan): Promise<string[]>;
}
