import { loadConfig } from '@plugboard/config';
import { SERVICE_RESTART_SUBJECT } from '@plugboard/contracts';
import { createBus } from '@plugboard/messaging';
import { createServiceLogger, listenForRestart } from '@plugboard/service-kit';
import { waitFor } from '@plugboard/testing';
import { DockerOrchestrator } from '../docker-orchestrator.adapter';
import { KubernetesOrchestrator } from '../kubernetes-orchestrator.adapter';
import { NoneOrchestrator } from '../none-orchestrator.adapter';
import { createOrchestrator } from '../orchestrator.factory';

const configWith = (env: Record<string, string>) => loadConfig({ env: { DATA_DIR: '/nonexistent-pb-data', ...env }, cwd: '/nonexistent-pb-cwd' });

describe('createOrchestrator', () => {
  const bus = createBus(configWith({}), 'infra-admin', createServiceLogger('test', 'error'));
  afterAll(() => bus.close());

  it('picks the plug from ORCHESTRATOR and throws on an unknown value', () => {
    expect(createOrchestrator(configWith({}), bus)).toBeInstanceOf(NoneOrchestrator);
    expect(createOrchestrator(configWith({ ORCHESTRATOR: 'docker' }), bus)).toBeInstanceOf(DockerOrchestrator);
    expect(createOrchestrator(configWith({ ORCHESTRATOR: 'kubernetes' }), bus)).toBeInstanceOf(KubernetesOrchestrator);
    expect(() => createOrchestrator({ ...configWith({}), ORCHESTRATOR: 'nomad' as 'none' }, bus)).toThrow('Unsupported ORCHESTRATOR "nomad": expected none, docker or kubernetes');
  });

  it('none: broadcasts the restart, which reaches the services it names once', async () => {
    await bus.connect();
    const heard: string[][] = [];
    await listenForRestart(bus, ['session-worker', 'gateway'], (services) => heard.push(services));
    const ignored: string[][] = [];
    await listenForRestart(bus, ['media-service'], (services) => ignored.push(services));
    const actions = await new NoneOrchestrator(bus).restart({ services: ['gateway', 'infra-admin'] });
    expect(actions).toHaveLength(2);
    await bus.publish(SERVICE_RESTART_SUBJECT, { services: ['gateway'] });
    await waitFor('the broadcast delivered', () => heard.length > 0);
    expect(heard).toEqual([['gateway']]);
    expect(ignored).toEqual([]);
    await expect(new NoneOrchestrator(bus).restart({ services: ['gateway'], profiles: ['redis'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
