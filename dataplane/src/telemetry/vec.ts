import type { Metric, Registry } from 'prom-client';

/** One exposed sample, as prom-client's registry formats it. */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * Counters and histograms for the request path, exposed through a prom-client registry (its text
 * format, its aggregation across workers) but updated without it: prom-client hashes the whole label
 * set on every `inc()` and `observe()`, even through a child, which the request path would pay
 * several times per request. Here a child is a plain object holding its numbers, made once per
 * label values and kept by the caller; an update is an add (and, for a histogram, a bucket search).
 */

interface Options {
  name: string;
  help: string;
  labelNames: readonly string[];
}

/** What prom-client's Registry reads of a metric (`registerMetric`, `metrics()`, `resetMetrics()`). */
abstract class Vec<Child> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected readonly labelNames: readonly string[];
  protected readonly children = new Map<string, { labels: Record<string, string>; child: Child }>();

  constructor(options: Options, registers: readonly Registry[]) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    // The Registry's interface is the Metric class's; it only reads what Vec has.
    for (const r of registers) r.registerMetric(this as unknown as Metric);
  }

  /** The child for these label values (in labelNames' order); made on first use. */
  labels(...values: string[]): Child {
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      entry = { labels, child: this.make() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  protected abstract make(): Child;
  protected abstract values(): Sample[];

  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.values(),
      aggregator: this.aggregator,
    });
  }

  /** Zeroes every child in place: children held by callers keep counting into the exposed set. */
  reset(): void {
    for (const { child } of this.children.values()) this.zero(child);
  }

  protected abstract zero(child: Child): void;
}

export interface CounterChild {
  value: number;
}

/** A counter per label values: `vec.labels(a, b).value += n`. */
export class CounterVec extends Vec<CounterChild> {
  readonly type = 'counter' as const;

  protected make(): CounterChild {
    return { value: 0 };
  }

  protected zero(child: CounterChild): void {
    child.value = 0;
  }

  protected values(): Sample[] {
    return [...this.children.values()].map(({ labels, child }) => ({ labels, value: child.value }));
  }
}

/** A gauge without labels. */
export class GaugeValue extends Vec<CounterChild> {
  readonly type = 'gauge' as const;
  private readonly only: CounterChild;

  constructor(options: Omit<Options, 'labelNames'>, registers: readonly Registry[]) {
    super({ ...options, labelNames: [] }, registers);
    this.only = this.labels();
  }

  inc(): void {
    this.only.value++;
  }

  dec(): void {
    this.only.value--;
  }

  get value(): number {
    return this.only.value;
  }

  protected make(): CounterChild {
    return { value: 0 };
  }

  protected zero(child: CounterChild): void {
    child.value = 0;
  }

  protected values(): Sample[] {
    return [{ labels: {}, value: this.only.value }];
  }
}

export interface HistogramChild {
  observe(value: number): void;
}

/**
 * One histogram child's numbers. A class, so `observe` is one function for every child of every
 * registry: code optimised while the warm-up's throwaway registry observed stays valid for the real one.
 */
class HistogramSeries implements HistogramChild {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= (buckets[i] as number)) {
        (this.counts[i] as number)++;
        return;
      }
    }
  }
}

/** A histogram per label values, over fixed bucket upper bounds. */
export class HistogramVec extends Vec<HistogramSeries> {
  readonly type = 'histogram' as const;

  constructor(
    options: Options & { buckets: readonly number[] },
    registers: readonly Registry[],
    private readonly buckets = [...options.buckets].sort((a, b) => a - b),
  ) {
    super(options, registers);
  }

  protected make(): HistogramSeries {
    return new HistogramSeries(this.buckets);
  }

  protected zero(child: { counts: number[]; sum: number; count: number }): void {
    child.counts.fill(0);
    child.sum = 0;
    child.count = 0;
  }

  /** prom-client's shape: cumulative `_bucket` lines with `le` (then +Inf), `_sum`, `_count`. */
  protected values(): Sample[] {
    const out: Sample[] = [];
    for (const { labels, child } of this.children.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += child.counts[i] as number;
        out.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      });
      out.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: child.count });
      out.push({ metricName: `${this.name}_sum`, labels, value: child.sum });
      out.push({ metricName: `${this.name}_count`, labels, value: child.count });
    }
    return out;
  }
}
