import { statusTable } from './status.command';

describe('statusTable', () => {
  it('aligns one row per instance, marks draining instances and sockets that are not up, and lists silent services', () => {
    const instance = (instanceId: string, ready: boolean, redis: 'up' | 'down') => ({
      service: 'session-worker' as const,
      instanceId,
      version: '0.1.0',
      uptimeSeconds: 125,
      status: 'up' as const,
      ready,
      sockets: [
        { socket: 'bus', plug: 'nats', status: 'up' as const },
        { socket: 'cache', plug: 'redis', status: redis },
      ],
    });
    const rows = statusTable({
      status: 'degraded',
      checkedAt: '2026-01-01T00:00:00.000Z',
      services: {
        'session-worker': { status: 'degraded', instances: [instance('worker-a', true, 'up'), instance('worker-b', false, 'down')] },
        'media-service': { status: 'down', instances: [] },
      },
    });
    expect(rows).toEqual([
      'SERVICE         INSTANCE  STATUS         VERSION  UPTIME  SOCKETS',
      'session-worker  worker-a  up             0.1.0    2m05s   bus:nats cache:redis',
      'session-worker  worker-b  up (draining)  0.1.0    2m05s   bus:nats cache:redis=down',
      'media-service   -         down           -        -       no instance answered',
    ]);
  });
});
