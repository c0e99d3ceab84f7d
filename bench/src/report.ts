import { parseArgs } from 'node:util';

/** One target's figures in one scenario. */
export interface Measurement {
  target: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Time to first byte, streaming scenarios only. */
  ttfbP50Ms?: number;
  ttfbP99Ms?: number;
  /** Time to first token (first content delta), streaming scenarios that parse the events only. */
  ttftP50Ms?: number;
  ttftP99Ms?: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export interface BenchOptions {
  durationSec: number;
  connections: number;
  warmupSec: number;
  /** Each round measures every target once, in turn; the median round is reported. */
  rounds: number;
  scenarios: string[];
  /** The mock upstream's pause between stream events (0: the whole stream is written at once). */
  chunkDelayMs: number;
}

export function parseBenchArgs(argv: string[], known: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '3' },
      scenario: { type: 'string', default: known.join(',') },
      'chunk-delay': { type: 'string', default: '0' },
    },
  });
  const num = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got '${v}'`);
    return n;
  };
  const scenarios = values.scenario
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scenarios)
    if (!known.includes(s)) throw new Error(`unknown scenario '${s}' (known: ${known.join(', ')})`);
  return {
    durationSec: num('duration', values.duration, 1),
    connections: num('connections', values.connections, 1),
    warmupSec: num('warmup', values.warmup, 0),
    rounds: num('rounds', values.rounds, 1),
    scenarios,
    chunkDelayMs: num('chunk-delay', values['chunk-delay'], 0),
  };
}

/** Ratio of two throughputs, rounded to two decimals; NaN when the base is zero. */
export function ratio(value: number, base: number): number {
  return base > 0 ? Math.round((value / base) * 100) / 100 : Number.NaN;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function formatTable(scenario: string, rows: readonly Measurement[]): string {
  const streaming = rows.some((r) => r.ttfbP50Ms !== undefined);
  const tokens = rows.some((r) => r.ttftP50Ms !== undefined);
  const head = [
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    ...(streaming ? ['ttfb p50', 'ttfb p99'] : []),
    ...(tokens ? ['ttft p50', 'ttft p99'] : []),
    'requests',
    'errors',
  ];
  const lines = rows.map((r) => [
    r.target,
    r.requestsPerSec.toFixed(0),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    ...(streaming ? [(r.ttfbP50Ms ?? NaN).toFixed(2), (r.ttfbP99Ms ?? NaN).toFixed(2)] : []),
    ...(tokens ? [(r.ttftP50Ms ?? NaN).toFixed(2), (r.ttftP99Ms ?? NaN).toFixed(2)] : []),
    String(r.requests),
    String(r.errors + r.non2xx),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [`scenario: ${scenario}`, fmt(head), ...lines.map(fmt)].join('\n');
}

/** The round with the median throughput: one noisy round on a shared machine does not decide. */
export function medianRound(rounds: readonly Measurement[]): Measurement {
  if (rounds.length === 0) throw new Error('no rounds');
  const sorted = [...rounds].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)] as Measurement;
}
