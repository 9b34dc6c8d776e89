import { ServiceHealthSchema, SocketHealth } from '@plugboard/contracts';
import { ServiceContext } from '../service-context';
import { HealthRegistry, boundedProbe } from './health-registry';

const up = (socket: string): SocketHealth => ({ socket, plug: 'memory', status: 'up' });

function setup(probeTimeoutMs = 50) {
  const context = new ServiceContext('media-service', 'media-1', '1.2.3', new Date(Date.now() - 5_000), {} as never);
  return { sut: new HealthRegistry(context, probeTimeoutMs), mocks: { context } };
}

describe('boundedProbe', () => {
  it('passes a healthy result through', async () => {
    await expect(boundedProbe('bus', async () => up('bus'), 50)).resolves.toEqual(up('bus'));
  });

  it('reports a hung probe as down once the timeout passes', async () => {
    const result = await boundedProbe('queue', () => new Promise<never>(() => undefined), 20);
    expect(result).toMatchObject({ socket: 'queue', status: 'down', detail: expect.stringContaining('timed out') });
  });

  it('reports a throwing probe as down with its message', async () => {
    const result = await boundedProbe('db', () => Promise.reject(new Error('refused')), 50);
    expect(result).toMatchObject({ socket: 'db', status: 'down', detail: 'refused' });
  });
});

describe('HealthRegistry', () => {
  it('answers health.ping with a valid ServiceHealth whose status is the worst socket', async () => {
    const { sut } = setup();
    sut.register('bus', async () => up('bus'));
    sut.register('queue', async () => ({ ...up('queue'), status: 'degraded' }));
    const health = await sut.serviceHealth();
    expect(ServiceHealthSchema.parse(health)).toEqual(health);
    expect(health).toMatchObject({ service: 'media-service', instanceId: 'media-1', version: '1.2.3', status: 'degraded', ready: true });
    expect(health.uptimeSeconds).toBeGreaterThanOrEqual(5);
  });

  it('is not ready when a socket is down, and ready again when it recovers', async () => {
    const { sut } = setup();
    let status: SocketHealth['status'] = 'down';
    sut.register('bus', async () => ({ ...up('bus'), status }));
    await expect(sut.readiness()).resolves.toMatchObject({ ready: false, reason: 'socket down: bus' });
    status = 'up';
    await expect(sut.readiness()).resolves.toMatchObject({ ready: true });
  });

  it('is not ready for good once shutdown began', async () => {
    const { sut } = setup();
    sut.register('bus', async () => up('bus'));
    sut.markShuttingDown();
    await expect(sut.readiness()).resolves.toMatchObject({ ready: false, reason: 'shutting down' });
    await expect(sut.serviceHealth()).resolves.toMatchObject({ ready: false });
  });
});
