import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, type ServiceName } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { Dispatcher } from 'undici';
import { Agent, httpJson } from './http-json';
import { OrchestratorPort, type RestartPlan } from './orchestrator.port';

/** Where a pod finds its service account's token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubernetesOrchestratorOptions {
  /** KUBERNETES_API_URL, e.g. https://kubernetes.default.svc. */
  apiUrl: string;
  /** KUBERNETES_NAMESPACE; defaults to the service account's namespace. */
  namespace?: string;
  /** Folder holding `token`, `ca.crt` and `namespace`; overridable for tests. */
  serviceAccountDir?: string;
}

interface DeploymentList {
  items?: { metadata?: { name?: string; labels?: Record<string, string> } }[];
}

const PART_OF = 'app.kubernetes.io/part-of=plugboard';
const NAME_LABEL = 'app.kubernetes.io/name';
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/**
 * Rollout restart through the Kubernetes API, as `kubectl rollout restart` does it: each of our
 * Deployments gets a new `restartedAt` pod-template annotation, and the Deployment controller
 * replaces its pods one by one. Needs get/list/patch on deployments (k8s/base/rbac.yaml).
 */
export class KubernetesOrchestrator extends OrchestratorPort {
  readonly plug = 'kubernetes';
  private readonly dir: string;

  constructor(
    private readonly options: KubernetesOrchestratorOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
    this.dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  }

  async restart(plan: RestartPlan): Promise<string[]> {
    if (plan.profiles !== undefined) {
      throw new ServiceError(ErrorCode.ValidationFailed, 'profiles apply to ORCHESTRATOR=docker only: on Kubernetes the backends are managed by their own manifests');
    }
    // Read on every call: the kubelet rotates the projected token.
    const token = this.read('token');
    const namespace = this.options.namespace ?? this.read('namespace');
    const dispatcher = new Agent({ connect: this.options.apiUrl.startsWith('https:') ? { ca: this.read('ca.crt') } : {} });
    try {
      const base = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`;
      const headers = { authorization: `Bearer ${token}` };
      const listed = await this.call(dispatcher, 'GET', `${base}?labelSelector=${encodeURIComponent(PART_OF)}`, { headers });
      if (listed.status !== 200) throw unavailable(`listing deployments in ${namespace} answered ${listed.status}: ${messageOf(listed.body)}`);
      const deployments = ((listed.body as DeploymentList).items ?? []).flatMap((item) => {
        const service = item.metadata?.labels?.[NAME_LABEL] as ServiceName | undefined;
        return item.metadata?.name && service && plan.services.includes(service) ? [{ name: item.metadata.name, service }] : [];
      });
      const actions = plan.services.filter((s) => !deployments.some((d) => d.service === s)).map((s) => `no deployment for ${s} in ${namespace}`);
      const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: this.now().toISOString() } } } } };
      // infra-admin last: its own rollout replaces this pod once the new one is ready.
      deployments.sort((a, b) => Number(a.service === 'infra-admin') - Number(b.service === 'infra-admin'));
      for (const deployment of deployments) {
        const patched = await this.call(dispatcher, 'PATCH', `${base}/${encodeURIComponent(deployment.name)}`, {
          headers: { ...headers, 'content-type': 'application/strategic-merge-patch+json' },
          body: patch,
        });
        if (patched.status !== 200) throw unavailable(`patching deployment ${deployment.name} answered ${patched.status}: ${messageOf(patched.body)}`);
        actions.push(`rollout restart of deployment ${deployment.name}`);
      }
      return actions;
    } finally {
      await dispatcher.close();
    }
  }

  private read(file: string): string {
    try {
      return readFileSync(join(this.dir, file), 'utf8').trim();
    } catch (error) {
      throw unavailable(`cannot read the service account's ${file} in ${this.dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }

  private async call(dispatcher: Dispatcher, method: Dispatcher.HttpMethod, path: string, options: { headers: Record<string, string>; body?: unknown }) {
    try {
      return await httpJson(dispatcher, this.options.apiUrl, method, path, { ...options, timeoutMs: 30_000 });
    } catch (error) {
      throw unavailable(`cannot reach the API server: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function messageOf(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body) return String((body as { message: unknown }).message);
  return String(body ?? '');
}

function unavailable(message: string): ServiceError {
  return new ServiceError(ErrorCode.ServiceUnavailable, `kubernetes: ${message}`);
}
