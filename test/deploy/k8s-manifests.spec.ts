import { CONFIG_VARIABLES } from '@plugboard/config';
import { type KubeObject, kubernetesProblems } from './support/kube-schema';
import { secretVariables, sharedVariables } from './support/config-coverage';
import { kustomizeCommand, renderKustomization, toolAvailable } from './support/render';

const OVERLAYS = ['k8s/overlays/dev', 'k8s/overlays/prod'];
const SERVICES = ['gateway', 'session-worker', 'media-service', 'infra-admin'];
const kustomize = kustomizeCommand();

interface Container {
  ports: { containerPort: number }[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom: unknown[];
  livenessProbe: { httpGet: unknown };
  readinessProbe: { httpGet: unknown };
  lifecycle?: { preStop: { exec: { command: string[] } } };
}
type Workload = KubeObject & { spec: { template: { spec: { containers: Container[]; terminationGracePeriodSeconds?: number } } } };
type Settings = KubeObject & { data: Record<string, string>; stringData: Record<string, string> };
type Rbac = KubeObject & { rules?: unknown[]; subjects?: unknown[] };

const find = <T extends KubeObject = KubeObject>(objects: KubeObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name) as T | undefined;
const podSpec = (objects: KubeObject[], kind: string, name: string) => find<Workload>(objects, kind, name)!.spec.template.spec;
/** The keys of the one generated ConfigMap and of the Secret. */
function settings(objects: KubeObject[]) {
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata?.name?.startsWith('plugboard-config')) as Settings[];
  expect(configMaps).toHaveLength(1);
  return { config: configMaps[0].data, secret: find<Settings>(objects, 'Secret', 'plugboard-secrets')!.stringData };
}

describe('unknown-field check', () => {
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', labels: { any: 'label' } },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'x', image: 'x' }] } } },
  };

  it('accepts a valid object, map keys included', () => {
    expect(kubernetesProblems(deployment)).toEqual([]);
  });

  it('rejects a misspelt field, which the schema validation alone lets through', () => {
    const misspelt = { ...deployment, spec: { ...(deployment.spec as object), replicass: 2 } };
    expect(kubernetesProblems(misspelt)).toEqual(['/spec/replicass is not a field of the schema']);
  });

  it('finds misspelt fields deep inside arrays', () => {
    const spec = deployment.spec as Record<string, unknown>;
    const deep = { ...deployment, spec: { ...spec, template: { spec: { containers: [{ name: 'x', image: 'x', imagePullPolicyy: 'Always' }] } } } };
    expect(kubernetesProblems(deep)).toEqual(['/spec/template/spec/containers/0/imagePullPolicyy is not a field of the schema']);
  });

  it('still reports schema violations and kinds without a schema', () => {
    expect(kubernetesProblems({ ...deployment, spec: { ...(deployment.spec as object), replicas: 'two' } })).toEqual(['/spec/replicas must be integer']);
    expect(kubernetesProblems({ apiVersion: 'apps/v1', kind: 'Deploymnet' })).toEqual(['apps/v1 Deploymnet has no Kubernetes schema']);
  });
});

describe.runIf(toolAvailable('kustomize (kubectl kustomize)', kustomize !== undefined))('k8s manifests', () => {
  const rendered = Object.fromEntries(OVERLAYS.map((dir) => [dir, renderKustomization(kustomize!, dir)]));

  describe.each(OVERLAYS)('%s', (dir) => {
    const objects = rendered[dir];

    it('renders only valid Kubernetes objects without unknown fields', () => {
      const problems = objects.flatMap((o) => kubernetesProblems(o).map((p) => `${o.kind}/${o.metadata?.name}: ${p}`));
      expect(problems).toEqual([]);
    });

    it('has every variable the code reads in the ConfigMap or the Secret, credentials only in the Secret', () => {
      const { config, secret } = settings(objects);
      expect(sharedVariables().filter((name) => !(name in config) && !(name in secret))).toEqual([]);
      expect(secretVariables().filter((name) => name in config || !(name in secret))).toEqual([]);
      // A key set in both would be decided by envFrom order alone.
      expect(Object.keys(secret).filter((name) => config[name])).toEqual([]);
      expect([...Object.keys(config), ...Object.keys(secret)].filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
    });

    it.each(SERVICES)('runs %s with probes on its health port, a unique INSTANCE_ID and both settings sources', (name) => {
      const container = podSpec(objects, 'Deployment', name).containers[0];
      const port = container.ports[0].containerPort;
      const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(env.INSTANCE_ID.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
      expect(name === 'gateway' ? port : Number(env.HTTP_PORT.value)).toBe(name === 'gateway' ? 3000 : port);
      expect(container.envFrom).toHaveLength(2);
      expect(find(objects, 'Service', name)).toBeDefined();
      expect(find(objects, 'ServiceAccount', name)).toBeDefined();
      expect(find(objects, 'PodDisruptionBudget', name)).toBeDefined();
    });

    it('drains the session-worker before it stops', () => {
      const spec = podSpec(objects, 'Deployment', 'session-worker');
      expect(spec.containers[0].lifecycle!.preStop.exec.command.join(' ')).toContain('http://127.0.0.1:3001/drain');
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(90);
    });

    it('runs the migrations as a Job and scales the gateway', () => {
      expect(podSpec(objects, 'Job', 'plugboard-migrate').containers[0].args).toEqual(['node', 'dist/services/infra-admin/src/main.js', 'migrate']);
      expect(find(objects, 'HorizontalPodAutoscaler', 'gateway')).toBeDefined();
    });

    it('lets infra-admin get, list and patch Deployments of its namespace only', () => {
      const role = find<Rbac>(objects, 'Role', 'infra-admin-orchestrator')!;
      expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch'] }]);
      expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
      const binding = find<Rbac>(objects, 'RoleBinding', 'infra-admin-orchestrator')!;
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'infra-admin', namespace: binding.metadata?.namespace }]);
    });
  });

  it('bundles NATS, Redis, PostgreSQL and MinIO in dev only, under the BUILTIN host names', () => {
    const statefulSets = (dir: string) => rendered[dir].filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata?.name).sort();
    expect(statefulSets('k8s/overlays/dev')).toEqual(['minio', 'nats', 'postgres', 'redis']);
    expect(statefulSets('k8s/overlays/prod')).toEqual([]);
    const { config } = settings(rendered['k8s/overlays/dev']);
    expect(config).toMatchObject({ POSTGRES_BUILTIN: 'true', REDIS_BUILTIN: 'true', MINIO_BUILTIN: 'true', NATS_URL: 'nats://nats:4222' });
  });

  it('takes the external backends of prod from the Secret', () => {
    const { secret } = settings(rendered['k8s/overlays/prod']);
    expect(Object.keys(secret)).toEqual(expect.arrayContaining(['NATS_URL', 'REDIS_HOST', 'DATABASE_HOST', 'S3_ENDPOINT']));
  });

  it('renders the monitoring example (ServiceMonitor needs the Prometheus Operator CRDs)', () => {
    const objects = renderKustomization(kustomize!, 'k8s/examples/monitoring');
    const policy = find(objects, 'NetworkPolicy', 'plugboard-allow-metrics');
    expect(kubernetesProblems(policy!)).toEqual([]);
    expect(find(objects, 'ServiceMonitor', 'plugboard')).toMatchObject({ spec: { endpoints: [{ port: 'http', path: '/metrics' }] } });
  });
});
