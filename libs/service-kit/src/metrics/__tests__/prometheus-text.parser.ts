/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws on
 * anything a Prometheus server would reject or silently mis-read (a family's HELP/TYPE
 * twice, a TYPE after its samples, a family split in two groups, a duplicate series, bad
 * escapes, a histogram whose buckets are not cumulative or lack +Inf).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, readonly string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, MetricFamily>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const fail = (lineNo: number, message: string): never => {
    throw new Error(`line ${lineNo}: ${message}`);
  };
  // A family's lines must form one group: switching back to an earlier family is an error.
  const enter = (name: string, lineNo: number) => {
    if (current === name) return;
    if (closed.has(name)) fail(lineNo, `family ${name} appears in two separate groups`);
    if (current !== undefined) closed.add(current);
    current = name;
  };
  const familyOf = (name: string): MetricFamily => {
    let family = families.get(name);
    if (!family) families.set(name, (family = { name, type: 'untyped', samples: [] }));
    return family;
  };
  const declared = new Set<string>();

  text.split('\n').forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!meta) return; // other comments are allowed and ignored
      const [, kind, name, rest = ''] = meta;
      if (!METRIC_NAME.test(name)) fail(lineNo, `bad metric name ${name}`);
      enter(name, lineNo);
      const family = familyOf(name);
      if (kind === 'HELP') {
        if (family.help !== undefined) fail(lineNo, `second HELP for ${name}`);
        family.help = unescapeHelp(rest, lineNo);
      } else {
        if (declared.has(name)) fail(lineNo, `second TYPE for ${name}`);
        if (family.samples.length) fail(lineNo, `TYPE for ${name} after its samples`);
        if (!TYPES.has(rest.trim())) fail(lineNo, `unknown type ${rest}`);
        family.type = rest.trim() as MetricFamily['type'];
        declared.add(name);
      }
      return;
    }
    const sample = parseSample(line, lineNo);
    const familyName = familyNameOf(sample.name, families);
    enter(familyName, lineNo);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) fail(lineNo, `duplicate series ${line}`);
    series.add(key);
    familyOf(familyName).samples.push(sample);
  });

  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** The family a sample belongs to: `x_bucket` of a histogram `x` is in family `x`. */
function familyNameOf(sampleName: string, families: Map<string, MetricFamily>): string {
  for (const [type, suffixes] of Object.entries(SUFFIXES)) {
    for (const suffix of suffixes) {
      if (!sampleName.endsWith(suffix)) continue;
      const base = sampleName.slice(0, -suffix.length);
      if (families.get(base)?.type === type) return base;
    }
  }
  return sampleName;
}

function parseSample(line: string, lineNo: number): Sample {
  const fail = (message: string): never => {
    throw new Error(`line ${lineNo}: ${message}: ${line}`);
  };
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line) ?? fail('bad metric name');
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const labelMatch = /^\s*([^=\s]+)\s*=\s*"/.exec(line.slice(i)) ?? fail('bad label');
      const labelName = labelMatch[1];
      if (!LABEL_NAME.test(labelName) || labelName.startsWith('__')) fail(`bad label name ${labelName}`);
      if (labelName in labels) fail(`label ${labelName} twice`);
      i += labelMatch[0].length;
      let value = '';
      for (;;) {
        const c = line[i++];
        if (c === undefined) fail('unterminated label value');
        if (c === '"') break;
        if (c === '\\') {
          const escaped = line[i++];
          if (escaped === '\\' || escaped === '"') value += escaped;
          else if (escaped === 'n') value += '\n';
          else fail(`bad escape \\${escaped}`);
        } else value += c;
      }
      labels[labelName] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') fail('expected , or }');
    }
    i++;
  }
  const rest = line.slice(i);
  const valueMatch = /^ +(\S+)(?: +(-?\d+))?\s*$/.exec(rest) ?? fail('bad value/timestamp');
  return { name, labels, value: parseValue(valueMatch[1], fail) };
}

function parseValue(raw: string, fail: (message: string) => never): number {
  // As Go's strconv.ParseFloat, which Prometheus uses: Inf and NaN in any case (prom-client writes `Nan`).
  if (/^\+?inf(inity)?$/i.test(raw)) return Infinity;
  if (/^-inf(inity)?$/i.test(raw)) return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) fail(`bad value ${raw}`);
  return Number(raw);
}

function unescapeHelp(raw: string, lineNo: number): string {
  return raw.replace(/\\(.)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new Error(`line ${lineNo}: bad escape in HELP \\${c}`);
  });
}

/** Per label set: buckets ascending by `le`, counts cumulative, a `+Inf` bucket equal to `_count`, and a `_sum`. */
function checkHistogram(family: MetricFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name === `${family.name}_bucket`) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      group.buckets.push([parseValue(le, (m) => { throw new Error(m); }), sample.value]);
    } else if (sample.name === `${family.name}_sum`) group.sum = sample.value;
    else if (sample.name === `${family.name}_count`) group.count = sample.value;
    else throw new Error(`${family.name}: unexpected sample ${sample.name}`);
  }
  for (const [key, group] of groups) {
    const where = `${family.name}${key}`;
    if (group.sum === undefined || group.count === undefined) throw new Error(`${where}: missing _sum or _count`);
    for (let i = 1; i < group.buckets.length; i++) {
      if (!(group.buckets[i][0] > group.buckets[i - 1][0])) throw new Error(`${where}: buckets not ascending by le`);
      if (group.buckets[i][1] < group.buckets[i - 1][1]) throw new Error(`${where}: bucket counts not cumulative`);
    }
    const last = group.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${where}: no +Inf bucket`);
    if (last[1] !== group.count) throw new Error(`${where}: +Inf bucket ${last[1]} != _count ${group.count}`);
  }
}

/** The value of the one sample with this name whose labels include `labels`; undefined when none, an error when several. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const matches = [...families.values()]
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}
