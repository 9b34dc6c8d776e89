import { ErrorCode, SERVICE_RESTART_SUBJECT } from '@plugboard/contracts';
import type { BusPort } from '@plugboard/messaging';
import { ServiceError } from '@plugboard/service-kit';
import { OrchestratorPort, type RestartPlan } from './orchestrator.port';

/**
 * No orchestrator to ask: the services are told over the bus to restart themselves. Each one
 * turns its readiness to 503, drains and exits 0, so a supervisor (`restart: always`, systemd,
 * a pod's restartPolicy) starts it again; the embedded process reboots itself in place.
 */
export class NoneOrchestrator extends OrchestratorPort {
  readonly plug = 'none';

  constructor(private readonly bus: BusPort) {
    super();
  }

  async restart(plan: RestartPlan): Promise<string[]> {
    if (plan.profiles !== undefined) {
      throw new ServiceError(ErrorCode.ValidationFailed, 'profiles need ORCHESTRATOR=docker: without an orchestrator nothing can start or stop the bundled backends');
    }
    await this.bus.publish(SERVICE_RESTART_SUBJECT, { services: plan.services });
    return plan.services.map((service) => `asked ${service} to restart (exits for its supervisor; embedded mode restarts in place)`);
  }
}
