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
  /** Connections at saturation (the throughput scenarios). */
  connections: number;
  warmupSec: number;
  /** Each round measures every target once, in turn; the median round is reported. */
  rounds: number;
  scenarios: string[];
  /** The mock upstream's pause between stream events (0: the whole stream is written at once). */
  chunkDelayMs: number;
  /** The fixed-rate scenarios (paced, cold, memory): the total rate and the connections it is spread over. */
  rateRps: number;
  pacedConnections: number;
  /** How long the cold scenario measures from the moment a fresh Tollgate is ready. */
  coldSec: number;
  /**
   * How many times the cold scenario starts each fresh process (interleaved with the pass-through's
   * run after them); it reports the median difference: one start moves by ±1.5 ms on a shared VM.
   */
  coldRuns: number;
  /** How long the memory scenario holds the fixed rate while sampling RSS. */
  memorySec: number;
  quick: boolean;
  /** Profile mode: a CPU profile of Tollgate under the native-chat load instead of the scenarios. */
  profile: boolean;
  profileSec: number;
  /** Passed to `tollgate run --workers` when not 1 (a hook: Tollgate does not implement it yet). */
  workers: number;
}

/** Full run: 5 interleaved rounds of 5 s. `--quick` shortens what it can to finish in about 2 minutes. */
const FULL = { duration: 5, rounds: 5, warmup: 2, memory: 60, coldRuns: 3 };
const QUICK = { duration: 2, rounds: 2, warmup: 0, memory: 5, coldRuns: 1 };

export function parseBenchArgs(argv: string[], known: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      connections: { type: 'string', default: '32' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      scenario: { type: 'string', default: known.join(',') },
      'chunk-delay': { type: 'string', default: '0' },
      rate: { type: 'string', default: '1000' },
      'paced-connections': { type: 'string', default: '16' },
      'cold-duration': { type: 'string', default: '10' },
      'cold-runs': { type: 'string' },
      'memory-duration': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'profile-duration': { type: 'string', default: '20' },
      workers: { type: 'string', default: '1' },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const num = (name: string, v: string | undefined, fallback: number, min: number) => {
    if (v === undefined) return fallback;
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
    durationSec: num('duration', values.duration, base.duration, 1),
    connections: num('connections', values.connections, 32, 1),
    warmupSec: num('warmup', values.warmup, base.warmup, 0),
    rounds: num('rounds', values.rounds, base.rounds, 1),
    scenarios,
    chunkDelayMs: num('chunk-delay', values['chunk-delay'], 0, 0),
    rateRps: num('rate', values.rate, 1000, 1),
    pacedConnections: num('paced-connections', values['paced-connections'], 16, 1),
    coldSec: num('cold-duration', values['cold-duration'], 10, 1),
    coldRuns: Math.round(num('cold-runs', values['cold-runs'], base.coldRuns, 1)),
    memorySec: num('memory-duration', values['memory-duration'], base.memory, 1),
    quick: values.quick,
    profile: values.profile,
    profileSec: num('profile-duration', values['profile-duration'], 20, 1),
    workers: num('workers', values.workers, 1, 1),
  };
}

/** The pause each of `connections` takes before a request so that together they offer `rateRps`. */
export function pacingDelayMs(rateRps: number, connections: number): number {
  return (connections * 1000) / rateRps;
}

/** Ratio of two throughputs, rounded to two decimals; NaN when the base is zero. */
/** A difference in ms, signed: `+0.42 ms`. */
export const ms = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)} ms`;
/** A figure with two decimals. */
export const fixed = (v: number) => v.toFixed(2);

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

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Paired differences `values[i] − bases[i]` (each pair measured back to back), their median and
 * spread: the figure of a measurement repeated because one run of it is noisy.
 */
export function pairedDifference(
  values: readonly number[],
  bases: readonly number[],
): { each: number[]; median: number; min: number; max: number } {
  if (values.length === 0 || values.length !== bases.length)
    throw new Error(
      `paired differences need as many values as bases, got ${values.length} and ${bases.length}`,
    );
  const each = values.map((v, i) => v - (bases[i] as number));
  return { each, median: median(each), min: Math.min(...each), max: Math.max(...each) };
}

/** One headline figure and the target issue 15 sets for it. */
export interface Headline {
  name: string;
  value: number;
  unit: string;
  /** `>=` or `<=` the bound; undefined when the figure has no target. */
  target?: { op: '>=' | '<='; bound: number };
}

/** The headline figures of a run as an aligned table, each with its target and whether it is met. */
export function formatHeadlines(rows: readonly Headline[]): string {
  const cells = rows.map((h) => {
    const value = `${h.value.toFixed(h.unit === '×' ? 2 : h.unit === 'MB' ? 0 : 2)}${h.unit === '×' ? '×' : ` ${h.unit}`}`;
    const t = h.target;
    const target = t ? `${t.op} ${t.bound}${h.unit === '×' ? '×' : ` ${h.unit}`}` : '';
    const met =
      !t || Number.isNaN(h.value)
        ? ''
        : (t.op === '>=' ? h.value >= t.bound : h.value <= t.bound)
          ? 'yes'
          : 'no';
    return [h.name, value, target, met];
  });
  const head = ['figure', 'value', 'target', 'met'];
  const widths = head.map((x, i) => Math.max(x.length, ...cells.map((c) => (c[i] ?? '').length)));
  const fmt = (c: string[]) =>
    c.map((x, i) => (i === 0 ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0))).join('  ');
  return [fmt(head), ...cells.map(fmt)].join('\n');
}

/**
 * The spread of a ratio `a/b` over the rounds: each round's req/s of target a over target b's in the
 * same round (the rounds interleave the targets). Undefined when either target has no rounds.
 */
export function roundRatioRange(
  perRound: Record<string, readonly number[]>,
  key: string,
): { min: number; max: number } | undefined {
  const [a, b] = key.split('/');
  const xs = perRound[a ?? ''];
  const ys = perRound[b ?? ''];
  if (!xs || !ys || xs.length === 0 || xs.length !== ys.length) return undefined;
  const rs = xs.map((x, i) => ratio(x, ys[i] as number));
  return { min: Math.min(...rs), max: Math.max(...rs) };
}
