import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';

const ROOT = resolve(__dirname, '../..');
const DASHBOARD = join(ROOT, 'deploy/grafana/plugboard-dashboard.json');

interface Panel {
  type: string;
  title: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string; refId: string }>;
}

/** Source files (not tests) of the libs and services. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === '__tests__') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry) && !/\.(int-)?spec\.ts$/.test(entry) ? [path] : [];
  });
}

/** Every metric name the code registers (`name: 'plugboard_…'` of a definition), with a histogram's series. */
function registeredMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const file of [...sourceFiles(join(ROOT, 'libs')), ...sourceFiles(join(ROOT, 'services'))]) {
    for (const match of readFileSync(file, 'utf8').matchAll(/name:\s*'(plugboard_[a-z0-9_]+)'/g)) names.add(match[1]);
  }
  // The process metrics every service serves (MetricsHub registers prom-client's defaults).
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of registry.getMetricsAsArray()) names.add(metric.name);
  for (const name of [...names]) for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${name}${suffix}`);
  return names;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

/** Identifiers of an expression that name series: not functions, keywords, labels, strings or ranges. */
function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names: string[] = [];
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)/g)) {
    const [word, call] = [match[0], match[1]];
    if (call || PROMQL_WORDS.has(word) || word.startsWith('$')) continue;
    names.push(word);
  }
  return names;
}

describe('deploy/grafana/plugboard-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { title: string; uid: string; schemaVersion: number; panels: Panel[]; templating: { list: Array<{ name: string }> } };
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
  const exprs = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));

  it('is a Grafana dashboard with its data source and service chosen by variables', () => {
    expect(dashboard).toMatchObject({ title: 'Plugboard', uid: 'plugboard-overview' });
    expect(dashboard.schemaVersion).toBeGreaterThan(30);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'service']);
    expect(new Set(dashboard.panels.map((p) => (p as { id?: number }).id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) {
      expect(panel.gridPos, panel.title).toBeDefined();
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('shows what operators need: latency, errors, sessions, queues, sends, webhooks, sockets, event loop, memory', () => {
    const all = exprs.map((e) => e.expr).join('\n');
    for (const name of [
      'plugboard_http_request_duration_seconds_bucket',
      'plugboard_sessions',
      'plugboard_queue_jobs',
      'plugboard_webhook_attempts_total',
      'plugboard_webhook_failures_total',
      'plugboard_webhook_dead_letters_total',
      'plugboard_socket_up',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(all).toContain(name);
    }
    expect(all).toMatch(/status=~"5\.\."/);
    expect(all).toMatch(/plugboard_messages_sent_total/);
    expect(all).toMatch(/plugboard_message_send_failures_total/);
  });

  it('queries only metric names the code registers', () => {
    const registered = registeredMetricNames();
    for (const { panel, expr } of exprs) {
      const names = metricNamesOf(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(registered.has(name), `${panel}: "${name}" in ${expr}`).toBe(true);
    }
  });

  it('finds a misspelt metric name (the check itself works)', () => {
    const registered = registeredMetricNames();
    const names = metricNamesOf('sum by (queue) (rate(plugboard_queue_jobz{state="waiting"}[5m]))');
    expect(names).toEqual(['plugboard_queue_jobz']);
    expect(registered.has(names[0])).toBe(false);
  });
});
