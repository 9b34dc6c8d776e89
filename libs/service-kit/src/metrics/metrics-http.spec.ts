import { Controller, Get, Module, Param } from '@nestjs/common';
import { loadConfig } from '@plugboard/config';
import { QueueName, type ServiceName } from '@plugboard/contracts';
import { BusPort, QueuePort, createBus, createQueue } from '@plugboard/messaging';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceHandle, bootstrapService } from '../bootstrap-service';
import { HealthModule } from '../health/health.module';
import { createServiceLogger } from '../service-logger';
import { parsePrometheusText, sampleValue } from './__tests__/prometheus-text.parser';
import { HTTP_REQUEST_DURATION } from './http-metrics';
import { MetricsHub } from './metrics-hub';

@Controller('items')
class ItemsController {
  @Get(':id')
  get(@Param('id') id: string): { id: string } {
    return { id };
  }
}

@Module({ imports: [HealthModule], controllers: [ItemsController] })
class TestServiceModule {}

const TOKEN = 'metrics-token-0123456789';
const COUNT = `${HTTP_REQUEST_DURATION.name}_count`;

async function setup(env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'pb-metrics-'));
  const config = loadConfig({ env: { LOG_LEVEL: 'error', DATA_DIR: join(cwd, 'data'), ...env }, cwd });
  const bus = createBus(config, 'gateway');
  const queue = createQueue(config);
  const metricsHub = new MetricsHub();
  const logger = createServiceLogger('gateway', 'fatal');
  const handles: ServiceHandle[] = [];
  const boot = async (service: ServiceName) => {
    const handle = await bootstrapService({ service, module: TestServiceModule, config, bus, queue, metricsHub, listen: false, logger });
    handles.push(handle);
    return handle;
  };
  const gateway = await boot('gateway');
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const response = await gateway.app.getHttpAdapter().getInstance().inject({ method: 'GET', url, headers });
    return { status: response.statusCode, headers: response.headers, text: response.body };
  };
  const scrape = async (headers: Record<string, string> = {}) => {
    const response = await get('/metrics', headers);
    expect(response.status, response.text).toBe(200);
    return parsePrometheusText(response.text);
  };
  const close = async () => {
    for (const handle of handles.reverse()) await handle.close();
    await queue.close();
    await bus.close();
  };
  return { sut: gateway, mocks: { bus: bus as BusPort, queue: queue as QueuePort }, boot, get, scrape, close };
}

describe('GET /metrics of a service', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  afterEach(() => env?.close());

  it('counts requests by route pattern, never by raw URL', async () => {
    env = await setup();
    const before = sampleValue(await env.scrape(), COUNT, { route: '/items/:id', method: 'GET', status: '200' }) ?? 0;
    for (let i = 0; i < 10; i++) expect((await env.get(`/items/id-${i}`)).status).toBe(200);
    await env.get('/nowhere/secret-path');
    const families = await env.scrape();
    expect(sampleValue(families, COUNT, { route: '/items/:id', method: 'GET', status: '200', service: 'gateway' })).toBe(before + 10);
    expect(sampleValue(families, COUNT, { route: 'unmatched', status: '404' })).toBe(1);
    const routes = families.get(HTTP_REQUEST_DURATION.name)!.samples.map((s) => s.labels.route);
    expect(routes.filter((r) => r.includes('id-') || r.includes('secret'))).toEqual([]);
  });

  it('reports sockets, queue depth and process metrics', async () => {
    env = await setup();
    await env.mocks.queue.add(QueueName.InfraJobs, 'noop', {});
    const families = await env.scrape();
    for (const socket of ['bus', 'queue', 'database']) {
      expect(sampleValue(families, 'plugboard_socket_up', { socket })).toBe(1);
      expect(sampleValue(families, 'plugboard_socket_degraded', { socket })).toBe(0);
    }
    expect(sampleValue(families, 'plugboard_socket_latency_seconds', { socket: 'database' })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(families, 'plugboard_queue_jobs', { queue: QueueName.InfraJobs, state: 'waiting' })).toBe(1);
    expect(sampleValue(families, 'plugboard_queue_jobs', { queue: QueueName.MessagesSend, state: 'failed' })).toBe(0);
    expect(families.get('process_resident_memory_bytes')?.samples).toHaveLength(1);
    expect(families.get('nodejs_eventloop_lag_p99_seconds')?.samples).toHaveLength(1);
  });

  it('serves every service of a shared hub once each (embedded mode)', async () => {
    env = await setup();
    await env.boot('session-worker');
    await env.boot('media-service');
    const families = await env.scrape();
    const services = families.get('plugboard_socket_up')!.samples.filter((s) => s.labels.socket === 'bus').map((s) => s.labels.service);
    expect(services.sort()).toEqual(['gateway', 'media-service', 'session-worker']);
    // Queue counts are shared state: reported by the gateway only.
    expect(new Set(families.get('plugboard_queue_jobs')!.samples.map((s) => s.labels.service))).toEqual(new Set(['gateway']));
    expect(families.get('process_cpu_user_seconds_total')?.samples).toHaveLength(1);
  });

  it('needs Authorization: Bearer <METRICS_TOKEN> when the token is set', async () => {
    env = await setup({ METRICS_TOKEN: TOKEN });
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }] as Record<string, string>[]) {
      const { status, text } = await env.get('/metrics', headers);
      expect({ status, body: JSON.parse(text) }).toEqual({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: expect.any(String) } } });
    }
    const families = await env.scrape({ authorization: `Bearer ${TOKEN}` });
    expect(families.has('plugboard_socket_up')).toBe(true);
    const { headers } = await env.get('/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
