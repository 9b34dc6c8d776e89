import { parsePrometheusText, sampleValue } from './__tests__/prometheus-text.parser';
import { mergeExpositions } from './metrics-exposition';
import { MetricsHub } from './metrics-hub';
import { MetricsService } from './metrics.service';

const REQUESTS = { name: 'test_requests_total', help: 'Requests', labelNames: ['route'] as const };
const LATENCY = { name: 'test_latency_seconds', help: 'Latency', buckets: [0.1, 1] };

function setup() {
  const gateway = new MetricsService('gateway');
  const worker = new MetricsService('session-worker');
  for (const [service, n] of [[gateway, 3], [worker, 5]] as const) {
    service.counter(REQUESTS).inc({ route: '/x' }, n);
    service.histogram(LATENCY).observe(0.5);
  }
  return { sut: { gateway, worker } };
}

describe('mergeExpositions', () => {
  it('gives each family once, with the samples of every service', async () => {
    const { sut } = setup();
    const texts = [await sut.gateway.exposition(), await sut.worker.exposition()];
    // Plain concatenation repeats HELP/TYPE: a Prometheus server would refuse the scrape.
    expect(() => parsePrometheusText(texts.join(''))).toThrow(/two separate groups|second HELP/);

    const families = parsePrometheusText(mergeExpositions(texts));
    expect(sampleValue(families, 'test_requests_total', { service: 'gateway', route: '/x' })).toBe(3);
    expect(sampleValue(families, 'test_requests_total', { service: 'session-worker', route: '/x' })).toBe(5);
    expect(sampleValue(families, 'test_latency_seconds_count', { service: 'session-worker' })).toBe(1);
    expect(families.get('test_latency_seconds')?.type).toBe('histogram');
  });

  it('keeps families that have no samples yet, and answers empty input with empty text', () => {
    expect(parsePrometheusText(mergeExpositions(['# HELP a A\n# TYPE a counter\n', '# HELP a A\n# TYPE a counter\n'])).get('a')).toMatchObject({ type: 'counter', samples: [] });
    expect(mergeExpositions([])).toBe('');
  });
});

describe('MetricsHub', () => {
  it('serves process metrics once whatever the number of services, plus each service until removed', async () => {
    const { sut } = setup();
    const hub = new MetricsHub();
    hub.add(sut.gateway);
    hub.add(sut.worker);
    const families = parsePrometheusText(await hub.exposition());
    expect(families.get('process_cpu_user_seconds_total')?.samples).toHaveLength(1);
    expect(families.get('nodejs_eventloop_lag_seconds')?.samples).toHaveLength(1);
    expect(families.get('nodejs_heap_size_used_bytes')?.samples).toHaveLength(1);
    expect(families.get('test_requests_total')?.samples).toHaveLength(2);

    hub.remove(sut.worker);
    const after = parsePrometheusText(await hub.exposition());
    expect(after.get('test_requests_total')?.samples.map((s) => s.labels.service)).toEqual(['gateway']);
  });
});

describe('MetricsService', () => {
  it('returns the same metric for the same definition, labelled with the service', async () => {
    const { sut } = setup();
    expect(sut.gateway.counter(REQUESTS)).toBe(sut.gateway.counter(REQUESTS));
    const families = parsePrometheusText(await sut.gateway.exposition());
    expect(families.get('test_requests_total')?.samples[0].labels).toEqual({ route: '/x', service: 'gateway' });
  });

  it('refuses a second metric of another type under the same name', () => {
    const { sut } = setup();
    expect(() => sut.gateway.gauge({ name: REQUESTS.name, help: 'x' })).toThrow(/another type/);
  });

  it('runs a gauge collector at every scrape', async () => {
    const { sut } = setup();
    let calls = 0;
    sut.gateway.gauge({ name: 'test_scrapes', help: 'Scrapes', collect: (g) => g.set(++calls) });
    await sut.gateway.exposition();
    expect(sampleValue(parsePrometheusText(await sut.gateway.exposition()), 'test_scrapes')).toBe(2);
  });
});
