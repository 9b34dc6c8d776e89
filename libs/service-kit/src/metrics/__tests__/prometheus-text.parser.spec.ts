import { Counter, Histogram, Registry } from 'prom-client';
import { parsePrometheusText, sampleValue } from './prometheus-text.parser';

describe('parsePrometheusText (strict test parser)', () => {
  it("reads prom-client's own output, histograms included", async () => {
    const registry = new Registry();
    new Counter({ name: 'a_total', help: 'A "quoted" \\ help', labelNames: ['x'], registers: [registry] }).inc({ x: 'va"l\\ue\nz' }, 2);
    new Histogram({ name: 'h_seconds', help: 'H', buckets: [0.1, 1], registers: [registry] }).observe(0.5);
    const families = parsePrometheusText(await registry.metrics());
    expect(families.get('a_total')).toMatchObject({ type: 'counter', help: 'A "quoted" \\ help' });
    expect(sampleValue(families, 'a_total', { x: 'va"l\\ue\nz' })).toBe(2);
    expect(sampleValue(families, 'h_seconds_bucket', { le: '0.1' })).toBe(0);
    expect(sampleValue(families, 'h_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(sampleValue(families, 'h_seconds_count')).toBe(1);
  });

  it.each([
    ['a second HELP', '# HELP a x\n# TYPE a gauge\na 1\n# HELP a y\n'],
    ['a second TYPE', '# TYPE a gauge\na 1\n# TYPE a gauge\n'],
    ['a TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['a family split in two groups', '# TYPE a gauge\na{s="1"} 1\n# TYPE b gauge\nb 1\na{s="2"} 2\n'],
    ['a duplicate series', '# TYPE a gauge\na{s="1"} 1\na{s="1"} 2\n'],
    ['a bad escape', '# TYPE a gauge\na{s="\\x"} 1\n'],
    ['a bad value', '# TYPE a gauge\na 1,5\n'],
    ['a missing newline at the end', '# TYPE a gauge\na 1'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['a histogram that is not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
  ])('rejects %s', (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
