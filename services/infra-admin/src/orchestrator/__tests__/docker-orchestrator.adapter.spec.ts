import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerOrchestrator } from '../docker-orchestrator.adapter';
import { type RecordingServer, startRecordingServer } from './recording-http-server';

const container = (id: string, service: string, state: string) => ({
  Id: id,
  Names: [`/plugboard-${service}-1`],
  State: state,
  Labels: { 'com.docker.compose.project': 'plugboard', 'com.docker.compose.service': service },
});

const CONTAINERS = [
  container('c-gateway', 'gateway', 'running'),
  container('c-worker', 'session-worker', 'running'),
  container('c-media', 'media-service', 'running'),
  container('c-infra', 'infra-admin', 'running'),
  container('c-nats', 'nats', 'running'),
  container('c-postgres', 'postgres', 'exited'),
  container('c-redis', 'redis', 'running'),
];

// The Docker Engine API as a local stand-in on a unix socket: list, start, stop, restart.
describe('DockerOrchestrator (against a local Docker API stand-in)', () => {
  let engine: RecordingServer;
  let socket: string;
  let deferred: (() => Promise<void>)[];

  beforeEach(async () => {
    socket = join(mkdtempSync(join(tmpdir(), 'pb-docker-')), 'docker.sock');
    engine = await startRecordingServer((call) => {
      if (call.method === 'GET' && call.url.startsWith('/containers/json?')) return { status: 200, body: CONTAINERS };
      if (call.method === 'POST' && /^\/containers\/c-[a-z]+\/(start|stop|restart)/.test(call.url)) return { status: 204 };
      return undefined;
    }, socket);
    deferred = [];
  });
  afterEach(() => engine.close());

  const sut = (dockerHost = `unix://${socket}`) =>
    new DockerOrchestrator({ dockerHost, project: 'plugboard', stopTimeoutMs: 10_000, later: (task) => deferred.push(task) });

  it('lists the compose project by label, restarts our containers, the gateway and infra-admin after the reply', async () => {
    const actions = await sut().restart({ services: ['gateway', 'session-worker', 'media-service', 'infra-admin'] });
    const list = engine.calls[0];
    expect(list.method).toBe('GET');
    expect(JSON.parse(new URL(list.url, 'http://x').searchParams.get('filters') as string)).toEqual({ label: ['com.docker.compose.project=plugboard'] });
    expect(new URL(list.url, 'http://x').searchParams.get('all')).toBe('true');
    expect(engine.calls.slice(1).map((c) => `${c.method} ${c.url}`)).toEqual(['POST /containers/c-worker/restart?t=10', 'POST /containers/c-media/restart?t=10']);
    expect(actions).toEqual([
      'restarted container plugboard-session-worker-1',
      'restarted container plugboard-media-service-1',
      'restarting container plugboard-gateway-1 after this reply',
      'restarting container plugboard-infra-admin-1 after this reply',
    ]);
    await deferred[0]();
    expect(engine.calls.slice(3).map((c) => c.url)).toEqual(['/containers/c-gateway/restart?t=10', '/containers/c-infra/restart?t=10']);
  });

  it('starts the bundled backends of the chosen profiles and stops the others', async () => {
    const actions = await sut().restart({ services: ['media-service'], profiles: ['postgres', 'nats', 'minio'] });
    expect(engine.calls.slice(1).map((c) => c.url)).toEqual(['/containers/c-postgres/start', '/containers/c-redis/stop?t=10', '/containers/c-media/restart?t=10']);
    expect(actions).toEqual([
      'started container plugboard-postgres-1',
      'stopped container plugboard-redis-1',
      'no minio container: create it once with `docker compose --profile minio up -d`',
      'restarted container plugboard-media-service-1',
    ]);
  });

  it('speaks to tcp:// hosts too', async () => {
    const tcpEngine = await startRecordingServer((call) => (call.url.startsWith('/containers/json') ? { status: 200, body: [] } : undefined));
    try {
      const actions = await sut(tcpEngine.origin!.replace('http://', 'tcp://')).restart({ services: ['session-worker'] });
      expect(actions).toEqual(['no container for session-worker in project plugboard']);
      expect(tcpEngine.calls).toHaveLength(1);
    } finally {
      await tcpEngine.close();
    }
  });

  it('reports an engine error as SERVICE_UNAVAILABLE with its message, and refuses an unknown DOCKER_HOST scheme', async () => {
    const failing = await startRecordingServer((call) =>
      call.url.startsWith('/containers/json') ? { status: 200, body: [container('c-worker', 'session-worker', 'running')] } : { status: 500, body: { message: 'boom' } },
    );
    try {
      await expect(sut(failing.origin!.replace('http://', 'tcp://')).restart({ services: ['session-worker'] })).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringContaining('answered 500: boom'),
      });
    } finally {
      await failing.close();
    }
    expect(() => sut('ssh://host')).toThrow('Unsupported DOCKER_HOST "ssh://host"');
  });
});
