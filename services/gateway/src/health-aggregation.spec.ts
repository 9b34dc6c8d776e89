import { HealthStatus, ServiceHealth, ServiceName } from '@plugboard/contracts';
import { infraStatus, overallStatus, serviceStatus, summarize } from './health-aggregation';

const ALL: ServiceName[] = ['gateway', 'session-worker', 'media-service', 'infra-admin'];
const at = new Date('2026-01-01T00:00:00.000Z');

function instance(service: ServiceName, status: HealthStatus = 'up', extra: Partial<ServiceHealth> = {}): ServiceHealth {
  return { service, instanceId: `${service}-${Math.random()}`, version: '0.1.0', uptimeSeconds: 1, status, ready: status !== 'down', sockets: [], ...extra };
}

describe('serviceStatus', () => {
  it.each<[string, HealthStatus[], HealthStatus]>([
    ['no instance answered', [], 'down'],
    ['every instance up', ['up', 'up'], 'up'],
    ['one instance degraded', ['up', 'degraded'], 'degraded'],
    ['some instances down', ['up', 'down'], 'degraded'],
    ['every instance down', ['down', 'down'], 'down'],
  ])('%s', (_case, statuses, expected) => {
    expect(serviceStatus(statuses.map((s) => instance('gateway', s)))).toBe(expected);
  });

  it('counts a draining instance (ready: false) as down', () => {
    expect(serviceStatus([instance('gateway', 'up', { ready: false })])).toBe('down');
    expect(serviceStatus([instance('gateway'), instance('gateway', 'up', { ready: false })])).toBe('degraded');
  });
});

describe('overallStatus', () => {
  it('is down when an expected service is down or missing', () => {
    expect(overallStatus({ gateway: 'up', 'media-service': 'down' }, ['gateway', 'media-service'])).toBe('down');
    expect(overallStatus({ gateway: 'up' }, ['gateway', 'media-service'])).toBe('down');
  });

  it('is degraded when any service is not up, including an unexpected one', () => {
    expect(overallStatus({ gateway: 'degraded' }, ['gateway'])).toBe('degraded');
    expect(overallStatus({ gateway: 'up', 'infra-admin': 'down' }, ['gateway'])).toBe('degraded');
  });

  it('is ok when every service is up', () => {
    expect(overallStatus({ gateway: 'up', 'session-worker': 'up' }, ['gateway', 'session-worker'])).toBe('ok');
  });
});

describe('summarize and infraStatus', () => {
  it('lists expected services that did not answer as down', () => {
    const replies = [instance('gateway'), instance('session-worker'), instance('infra-admin')];
    expect(summarize(replies, ALL, at)).toEqual({
      status: 'down',
      services: { gateway: 'up', 'session-worker': 'up', 'media-service': 'down', 'infra-admin': 'up' },
      checkedAt: at.toISOString(),
    });
    const infra = infraStatus(replies, ALL, at);
    expect(infra.services['media-service']).toEqual({ status: 'down', instances: [] });
    expect(infra.services.gateway?.instances).toHaveLength(1);
  });

  it('keeps every instance of a scaled service', () => {
    const replies = ALL.flatMap((name) => [instance(name), instance(name)]);
    const infra = infraStatus(replies, ALL, at);
    expect(infra.status).toBe('ok');
    expect(Object.values(infra.services).map((s) => s.instances.length)).toEqual([2, 2, 2, 2]);
  });
});
