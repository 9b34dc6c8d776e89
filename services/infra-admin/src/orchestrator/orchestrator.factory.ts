import type { AppConfig } from '@plugboard/config';
import type { BusPort } from '@plugboard/messaging';
import { DockerOrchestrator } from './docker-orchestrator.adapter';
import { KubernetesOrchestrator } from './kubernetes-orchestrator.adapter';
import { NoneOrchestrator } from './none-orchestrator.adapter';
import type { OrchestratorPort } from './orchestrator.port';

/** Picks the orchestrator plug from ORCHESTRATOR; an unknown value throws, never a silent fallback. */
export function createOrchestrator(config: Pick<AppConfig, 'ORCHESTRATOR' | 'DOCKER_HOST' | 'COMPOSE_PROJECT_NAME' | 'SHUTDOWN_TIMEOUT_MS' | 'KUBERNETES_API_URL' | 'KUBERNETES_NAMESPACE'>, bus: BusPort): OrchestratorPort {
  const plug = config.ORCHESTRATOR as string;
  switch (plug) {
    case 'none':
      return new NoneOrchestrator(bus);
    case 'docker':
      return new DockerOrchestrator({ dockerHost: config.DOCKER_HOST, project: config.COMPOSE_PROJECT_NAME ?? 'plugboard', stopTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
    case 'kubernetes':
      return new KubernetesOrchestrator({ apiUrl: config.KUBERNETES_API_URL, namespace: config.KUBERNETES_NAMESPACE });
    default:
      throw new Error(`Unsupported ORCHESTRATOR "${plug}": expected none, docker or kubernetes`);
  }
}
