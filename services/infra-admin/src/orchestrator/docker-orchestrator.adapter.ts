import { ErrorCode, INFRA_PROFILES, type ServiceName } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { Dispatcher } from 'undici';
import { Agent, httpJson } from './http-json';
import { OrchestratorPort, type RestartPlan } from './orchestrator.port';

export interface DockerOrchestratorOptions {
  /** `unix:///var/run/docker.sock` (default) or `tcp://host:port`. */
  dockerHost?: string;
  /** Compose project whose containers are ours (label `com.docker.compose.project`). */
  project: string;
  /** How long Docker waits after SIGTERM before it kills a container (SHUTDOWN_TIMEOUT_MS). */
  stopTimeoutMs: number;
  /** Runs what must happen after the reply; tests run it at once. */
  later?: (task: () => Promise<void>) => void;
}

interface ContainerSummary {
  Id: string;
  Names?: string[];
  State?: string;
  Labels?: Record<string, string>;
}

const SERVICE_LABEL = 'com.docker.compose.service';
// Restarting these cuts the request being answered (the gateway holds it, infra-admin answers it).
const AFTER_REPLY: readonly ServiceName[] = ['gateway', 'infra-admin'];

/**
 * Docker Engine API over DOCKER_HOST, plain HTTP: lists the compose project's containers,
 * starts/stops the bundled backends (postgres, redis, minio, nats) to match the chosen profiles,
 * and restarts our services' containers.
 */
export class DockerOrchestrator extends OrchestratorPort {
  readonly plug = 'docker';
  private readonly dispatcher: Dispatcher;
  private readonly origin: string;

  constructor(private readonly options: DockerOrchestratorOptions) {
    super();
    const host = options.dockerHost ?? 'unix:///var/run/docker.sock';
    if (host.startsWith('unix://')) {
      this.dispatcher = new Agent({ connect: { socketPath: host.slice('unix://'.length) } });
      this.origin = 'http://docker';
    } else if (host.startsWith('tcp://')) {
      this.dispatcher = new Agent();
      this.origin = `http://${host.slice('tcp://'.length)}`;
    } else {
      throw new Error(`Unsupported DOCKER_HOST "${host}": expected unix:///path/to/docker.sock or tcp://host:port`);
    }
  }

  async restart(plan: RestartPlan): Promise<string[]> {
    const containers = await this.listContainers();
    const actions: string[] = [];
    if (plan.profiles !== undefined) actions.push(...(await this.applyProfiles(containers, plan.profiles)));

    const ours = containers.filter((c) => plan.services.includes(c.Labels?.[SERVICE_LABEL] as ServiceName));
    for (const service of plan.services) {
      if (!ours.some((c) => c.Labels?.[SERVICE_LABEL] === service)) actions.push(`no container for ${service} in project ${this.options.project}`);
    }
    const now = ours.filter((c) => !AFTER_REPLY.includes(c.Labels?.[SERVICE_LABEL] as ServiceName));
    const deferred = ours.filter((c) => AFTER_REPLY.includes(c.Labels?.[SERVICE_LABEL] as ServiceName));
    for (const container of now) {
      await this.containerAction(container, 'restart');
      actions.push(`restarted container ${nameOf(container)}`);
    }
    if (deferred.length > 0) {
      const later = this.options.later ?? ((task) => void setTimeout(() => void task().catch(() => undefined), 0));
      // The gateway drains its in-flight requests (this one) before it stops, so the reply still arrives.
      later(async () => {
        for (const container of deferred) await this.containerAction(container, 'restart');
      });
      actions.push(...deferred.map((c) => `restarting container ${nameOf(c)} after this reply`));
    }
    return actions;
  }

  private async applyProfiles(containers: ContainerSummary[], profiles: readonly string[]): Promise<string[]> {
    const actions: string[] = [];
    for (const backend of INFRA_PROFILES) {
      const wanted = profiles.includes(backend);
      const found = containers.filter((c) => c.Labels?.[SERVICE_LABEL] === backend);
      if (found.length === 0) {
        if (wanted) actions.push(`no ${backend} container: create it once with \`docker compose --profile ${backend} up -d\``);
        continue;
      }
      for (const container of found) {
        const running = container.State === 'running';
        if (wanted && !running) {
          await this.containerAction(container, 'start');
          actions.push(`started container ${nameOf(container)}`);
        } else if (!wanted && running) {
          await this.containerAction(container, 'stop');
          actions.push(`stopped container ${nameOf(container)}`);
        }
      }
    }
    return actions;
  }

  private async listContainers(): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${this.options.project}`] }));
    const response = await this.call('GET', `/containers/json?all=true&filters=${filters}`);
    if (response.status !== 200 || !Array.isArray(response.body)) throw unavailable(`listing containers answered ${response.status}`);
    return response.body as ContainerSummary[];
  }

  private async containerAction(container: ContainerSummary, action: 'start' | 'stop' | 'restart'): Promise<void> {
    const query = action === 'start' ? '' : `?t=${Math.ceil(this.options.stopTimeoutMs / 1000)}`;
    const response = await this.call('POST', `/containers/${encodeURIComponent(container.Id)}/${action}${query}`);
    // 304: already started / already stopped.
    if (response.status !== 204 && response.status !== 304) {
      throw unavailable(`${action} ${nameOf(container)} answered ${response.status}: ${messageOf(response.body)}`);
    }
  }

  private async call(method: Dispatcher.HttpMethod, path: string) {
    try {
      return await httpJson(this.dispatcher, this.origin, method, path, { timeoutMs: this.options.stopTimeoutMs + 30_000 });
    } catch (error) {
      throw unavailable(`cannot reach the Docker engine: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function nameOf(container: ContainerSummary): string {
  return container.Names?.[0]?.replace(/^\//, '') ?? container.Id.slice(0, 12);
}

function messageOf(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body) return String((body as { message: unknown }).message);
  return String(body ?? '');
}

function unavailable(message: string): ServiceError {
  return new ServiceError(ErrorCode.ServiceUnavailable, `docker: ${message}`);
}
