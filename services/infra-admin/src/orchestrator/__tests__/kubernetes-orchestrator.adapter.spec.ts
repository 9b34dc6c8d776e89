import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesOrchestrator } from '../kubernetes-orchestrator.adapter';
import { type RecordingServer, startRecordingServer } from './recording-http-server';

const deployment = (name: string, service: string) => ({ metadata: { name, labels: { 'app.kubernetes.io/name': service, 'app.kubernetes.io/part-of': 'plugboard' } } });
const NOW = new Date('2030-01-02T03:04:05.000Z');

// The Kubernetes API as a local stand-in: list and patch deployments with a bearer token.
describe('KubernetesOrchestrator (against a local Kubernetes API stand-in)', () => {
  let api: RecordingServer;
  let accountDir: string;

  beforeAll(async () => {
    accountDir = mkdtempSync(join(tmpdir(), 'pb-k8s-sa-'));
    writeFileSync(join(accountDir, 'token'), 'sa-token\n');
    writeFileSync(join(accountDir, 'namespace'), 'pb-ns\n');
    api = await startRecordingServer((call) => {
      if (call.headers.authorization !== 'Bearer sa-token') return { status: 401, body: { message: 'Unauthorized' } };
      if (call.method === 'GET' && call.url.startsWith('/apis/apps/v1/namespaces/pb-ns/deployments?')) {
        return { status: 200, body: { items: [deployment('prod-infra-admin', 'infra-admin'), deployment('prod-gateway', 'gateway'), deployment('prod-session-worker', 'session-worker')] } };
      }
      if (call.method === 'PATCH' && call.url.startsWith('/apis/apps/v1/namespaces/')) return { status: 200, body: {} };
      return undefined;
    });
  });
  afterAll(() => api.close());

  const sut = (namespace?: string) => new KubernetesOrchestrator({ apiUrl: api.origin!, namespace, serviceAccountDir: accountDir }, () => NOW);

  it('lists our deployments by label and patches the restartedAt annotation, infra-admin last', async () => {
    const before = api.calls.length;
    const actions = await sut().restart({ services: ['gateway', 'session-worker', 'media-service', 'infra-admin'] });
    const calls = api.calls.slice(before);
    expect(calls[0].url).toBe(`/apis/apps/v1/namespaces/pb-ns/deployments?labelSelector=${encodeURIComponent('app.kubernetes.io/part-of=plugboard')}`);
    expect(calls.slice(1).map((c) => `${c.method} ${c.url}`)).toEqual([
      'PATCH /apis/apps/v1/namespaces/pb-ns/deployments/prod-gateway',
      'PATCH /apis/apps/v1/namespaces/pb-ns/deployments/prod-session-worker',
      'PATCH /apis/apps/v1/namespaces/pb-ns/deployments/prod-infra-admin',
    ]);
    for (const call of calls.slice(1)) {
      expect(call.headers['content-type']).toBe('application/strategic-merge-patch+json');
      expect(call.body).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': NOW.toISOString() } } } } });
    }
    expect(actions).toEqual([
      'no deployment for media-service in pb-ns',
      'rollout restart of deployment prod-gateway',
      'rollout restart of deployment prod-session-worker',
      'rollout restart of deployment prod-infra-admin',
    ]);
  });

  it('uses KUBERNETES_NAMESPACE over the service account namespace', async () => {
    const before = api.calls.length;
    await expect(sut('other').restart({ services: ['gateway'] })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('answered 404') });
    expect(api.calls[before].url).toMatch(/^\/apis\/apps\/v1\/namespaces\/other\/deployments\?/);
  });

  it('says which service account file is missing, and refuses profiles', async () => {
    const empty = new KubernetesOrchestrator({ apiUrl: api.origin!, serviceAccountDir: mkdtempSync(join(tmpdir(), 'pb-k8s-none-')) });
    await expect(empty.restart({ services: ['gateway'] })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining("service account's token") });
    await expect(sut().restart({ services: ['gateway'], profiles: ['redis'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
