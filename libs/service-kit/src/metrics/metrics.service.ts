import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ServiceName } from '@plugboard/contracts';

/** A metric's name, help text and label names; the first `counter()`/`gauge()`/`histogram()` call creates it. */
export interface MetricDefinition<L extends string = never> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface HistogramDefinition<L extends string = never> extends MetricDefinition<L> {
  /** Upper bounds in the metric's unit; prom-client's defaults when omitted. */
  buckets?: number[];
}

export interface GaugeDefinition<L extends string = never> extends MetricDefinition<L> {
  /** Runs at every scrape to refresh the gauge (socket probes, queue counts, …). */
  collect?: (gauge: Gauge<L>) => Promise<void> | void;
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * The metrics of one service: its own prom-client registry (never the global one, so the
 * four services of embedded mode stay apart), every sample labelled `service`. Feature code
 * injects it and asks for a metric by definition; the same definition always returns the
 * same metric, so call sites need no set-up step.
 */
export class MetricsService {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, AnyMetric>();

  constructor(readonly service: ServiceName) {
    this.registry.setDefaultLabels({ service });
  }

  /** The counter of this definition, created on first use. */
  counter<L extends string = never>(definition: MetricDefinition<L>): Counter<L> {
    return this.getOrCreate(definition.name, Counter, () => new Counter<L>({ ...this.base(definition) })) as Counter<L>;
  }

  /** The gauge of this definition, created on first use (its `collect` then runs at every scrape). */
  gauge<L extends string = never>(definition: GaugeDefinition<L>): Gauge<L> {
    const { collect } = definition;
    return this.getOrCreate(
      definition.name,
      Gauge,
      () =>
        new Gauge<L>({
          ...this.base(definition),
          ...(collect && {
            async collect(this: Gauge<L>) {
              await collect(this);
            },
          }),
        }),
    ) as Gauge<L>;
  }

  /** The histogram of this definition, created on first use. */
  histogram<L extends string = never>(definition: HistogramDefinition<L>): Histogram<L> {
    const { buckets } = definition;
    return this.getOrCreate(definition.name, Histogram, () => new Histogram<L>({ ...this.base(definition), ...(buckets && { buckets }) })) as Histogram<L>;
  }

  /** This service's samples in the Prometheus text format. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  private base<L extends string>({ name, help, labelNames }: MetricDefinition<L>) {
    return { name, help, labelNames: (labelNames ?? []) as L[], registers: [this.registry] };
  }

  private getOrCreate(name: string, kind: abstract new (...args: never[]) => AnyMetric, create: () => AnyMetric): AnyMetric {
    const existing = this.metrics.get(name);
    if (existing) {
      // Two definitions sharing a name is a programming error: fail loudly at the first call.
      if (!(existing instanceof kind)) throw new Error(`metric ${name} already exists as another type`);
      return existing;
    }
    const metric = create();
    this.metrics.set(name, metric);
    return metric;
  }
}
