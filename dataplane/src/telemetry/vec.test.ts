import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CounterVec, GaugeValue, HistogramVec } from './vec';

const BUCKETS = [0.001, 0.005, 0.1, 1];
const help = 'h';

/** The same observations through prom-client's own metrics and through ours: the same text out. */
describe('vec metrics expose exactly what prom-client would', () => {
  it('counters, histograms and a gauge', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const c = new CounterVec({ name: 'c_total', help, labelNames: ['a', 'b'] }, [ours]);
    const pc = new Counter({ name: 'c_total', help, labelNames: ['a', 'b'], registers: [theirs] });
    const h = new HistogramVec({ name: 'h_seconds', help, labelNames: ['a'], buckets: BUCKETS }, [ours]);
    const ph = new Histogram({
      name: 'h_seconds',
      help,
      labelNames: ['a'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const g = new GaugeValue({ name: 'g', help }, [ours]);
    const pg = new Gauge({ name: 'g', help, registers: [theirs] });

    for (const [a, b, n] of [
      ['x', 'y', 1],
      ['x', 'y', 2],
      ['x', 'z"q', 5],
    ] as const) {
      c.labels(a, b).value += n;
      pc.labels({ a, b }).inc(n);
    }
    for (const [a, v] of [
      ['x', 0.0005],
      ['x', 0.004],
      ['x', 0.5],
      ['x', 7],
      ['w', 0.1],
    ] as const) {
      h.labels(a).observe(v);
      ph.labels({ a }).observe(v);
    }
    g.inc();
    g.inc();
    g.dec();
    pg.inc();
    pg.inc();
    pg.dec();

    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(g.value).toBe(1);
  });

  it('sums across workers as prom-client metrics do', async () => {
    const worker = async (n: number) => {
      const r = new Registry();
      const c = new CounterVec({ name: 'c_total', help, labelNames: ['a'] }, [r]);
      const h = new HistogramVec({ name: 'h_seconds', help, labelNames: ['a'], buckets: BUCKETS }, [r]);
      c.labels('x').value += n;
      h.labels('x').observe(n / 10);
      return r.getMetricsAsJSON();
    };
    const merged = AggregatorRegistry.aggregate([await worker(1), await worker(2)]);
    const text = await merged.metrics();
    expect(text).toContain('c_total{a="x"} 3');
    expect(text).toContain('h_seconds_count{a="x"} 2');
    expect(text).toContain('h_seconds_bucket{le="1",a="x"} 2');
  });

  it('reset() zeroes every series; a child held from before keeps counting into the exposed set', async () => {
    const r = new Registry();
    const c = new CounterVec({ name: 'c_total', help, labelNames: ['a'] }, [r]);
    const h = new HistogramVec({ name: 'h_seconds', help, labelNames: [], buckets: BUCKETS }, [r]);
    const held = c.labels('x');
    held.value += 5;
    h.labels().observe(0.5);
    r.resetMetrics();
    expect(await r.metrics()).toContain('c_total{a="x"} 0');
    expect(await r.metrics()).toContain('h_seconds_count 0');
    held.value++;
    expect(await r.metrics()).toContain('c_total{a="x"} 1');
  });

  it('refuses a second metric of the same name in one registry', () => {
    const r = new Registry();
    new CounterVec({ name: 'c_total', help, labelNames: [] }, [r]);
    expect(() => new CounterVec({ name: 'c_total', help, labelNames: [] }, [r])).toThrow(
      'already been registered',
    );
  });
});
