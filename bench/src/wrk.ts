import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Measurement } from './report';

/** The Lua script every wrk run uses: body, headers and pacing from the environment, JSON from done(). */
export const WRK_SCRIPT = [
  path.resolve(__dirname, '../wrk/post.lua'), // from bench/src (ts-node, jest)
  path.resolve(__dirname, '../../../bench/wrk/post.lua'), // from dist/bench/src
].find((f) => existsSync(f)) as string;
export const WRK_INSTALL_HINT =
  'the bench drives its load with wrk (a C load generator): install it with `apt-get install -y wrk` ' +
  '(Debian/Ubuntu) or `brew install wrk` (macOS)';

/** What the Lua `done()` hook of bench/wrk/post.lua prints, latencies in microseconds. */
export interface WrkResult {
  durationUs: number;
  requests: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: {
    min: number;
    mean: number;
    max: number;
    stdev: number;
    p50: number;
    p90: number;
    p99: number;
    p999: number;
  };
  /** The latency histogram as wrk hands it to done() (corrected), flat [µs, count, µs, count, …]; null when too large. */
  histogram: number[] | null;
}

export interface WrkRun {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  durationSec: number;
  /** Pause before each request on a connection, ms (closed-loop pacing through Lua `delay()`). */
  delayMs?: number;
}

export function wrkInstalled(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** The `WRK_JSON` line of a wrk run's stdout, checked field by field. */
export function parseWrkOutput(stdout: string): WrkResult {
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line)
    throw new Error(`wrk printed no WRK_JSON line (is bench/wrk/post.lua in use?): ${stdout.slice(0, 300)}`);
  const raw = JSON.parse(line.slice('WRK_JSON '.length)) as unknown;
  const num = (o: unknown, key: string, where: string): number => {
    const v = (o as Record<string, unknown> | null)?.[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`wrk output: ${where}${key} is not a number`);
    return v;
  };
  const obj = (o: unknown, key: string): unknown => {
    const v = (o as Record<string, unknown> | null)?.[key];
    if (typeof v !== 'object' || v === null) throw new Error(`wrk output: ${key} is missing`);
    return v;
  };
  const e = obj(raw, 'errors');
  const l = obj(raw, 'latencyUs');
  const pick = <K extends string>(o: unknown, keys: readonly K[], where: string) =>
    Object.fromEntries(keys.map((k) => [k, num(o, k, where)])) as Record<K, number>;
  return {
    durationUs: num(raw, 'durationUs', ''),
    requests: num(raw, 'requests', ''),
    bytes: num(raw, 'bytes', ''),
    errors: pick(e, ['connect', 'read', 'write', 'status', 'timeout'] as const, 'errors.'),
    latencyUs: pick(l, ['min', 'mean', 'max', 'stdev', 'p50', 'p90', 'p99', 'p999'] as const, 'latencyUs.'),
    histogram: parseHistogram((raw as { histogram?: unknown }).histogram),
  };
}

function parseHistogram(h: unknown): number[] | null {
  if (h === null || h === undefined) return null;
  if (!Array.isArray(h) || h.length % 2 !== 0 || !h.every((x) => Number.isInteger(x) && (x as number) >= 0))
    throw new Error('wrk output: histogram is not a flat list of [µs, count] pairs');
  return h as number[];
}

/**
 * Undoes wrk 4's `stats_correct`, which runs before done(): with `e` = runtime / (requests per
 * connection), every recorded value n >= 2e adds its count again at n − e, n − 2e, … while above e.
 * Additions to a bin m come only from bins m + k·e (k >= 1), so walking the bins downwards, each
 * bin's recorded count is its corrected count minus the recorded counts already found above it in
 * its residue class mod e. Returns the recorded histogram as [µs, count] pairs, ascending.
 */
export function uncorrectHistogram(
  flat: readonly number[],
  run: { durationUs: number; requests: number; connections: number },
): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as number, flat[i + 1] as number]);
  pairs.sort((a, b) => a[0] - b[0]);
  const perConnection = Math.floor(run.requests / run.connections);
  if (perConnection === 0) return pairs;
  const e = Math.floor(run.durationUs / perConnection);
  if (e <= 0) return pairs;
  const above = new Map<number, number>();
  const out: [number, number][] = [];
  for (let i = pairs.length - 1; i >= 0; i--) {
    const [m, corrected] = pairs[i] as [number, number];
    const recorded = m > e ? corrected - (above.get(m % e) ?? 0) : corrected;
    if (recorded < 0) throw new Error(`wrk histogram does not undo: bin ${m} µs goes negative`);
    above.set(m % e, (above.get(m % e) ?? 0) + recorded);
    if (recorded > 0) out.push([m, recorded]);
  }
  return out.reverse();
}

/** Percentiles as wrk computes them (rank = round(p/100 · count + 0.5)), over [µs, count] pairs ascending. */
export function histogramStats(pairs: readonly [number, number][]): {
  count: number;
  meanUs: number;
  maxUs: number;
  percentileUs(p: number): number;
} {
  const count = pairs.reduce((n, [, c]) => n + c, 0);
  const sum = pairs.reduce((n, [v, c]) => n + v * c, 0);
  return {
    count,
    meanUs: count > 0 ? sum / count : NaN,
    maxUs: pairs.length > 0 ? (pairs[pairs.length - 1] as [number, number])[0] : NaN,
    percentileUs(p) {
      const rank = Math.round((p / 100) * count + 0.5);
      let total = 0;
      for (const [v, c] of pairs) {
        total += c;
        if (total >= rank) return v;
      }
      return NaN;
    },
  };
}

/**
 * One wrk run as a bench row: req/s over wrk's own measured duration, latencies in ms — the recorded
 * ones (wrk's correction undone) when the histogram came back, wrk's corrected percentiles otherwise.
 */
export function toMeasurement(target: string, r: WrkResult, connections: number): Measurement {
  const { connect, read, write, timeout, status } = r.errors;
  const recorded = r.histogram
    ? histogramStats(uncorrectHistogram(r.histogram, { ...r, connections }))
    : undefined;
  return {
    target,
    requestsPerSec: r.durationUs > 0 ? r.requests / (r.durationUs / 1e6) : 0,
    p50Ms: (recorded ? recorded.percentileUs(50) : r.latencyUs.p50) / 1000,
    p99Ms: (recorded ? recorded.percentileUs(99) : r.latencyUs.p99) / 1000,
    requests: r.requests,
    errors: connect + read + write + timeout,
    // wrk counts a status above 399 as a status error
    non2xx: status,
  };
}

/** Runs wrk with bench/wrk/post.lua; wrk's threads are one per core it may use, at most one per connection. */
export async function runWrk(run: WrkRun): Promise<WrkResult> {
  // wrk runs without its script, silently, when the file is not there
  if (!WRK_SCRIPT) throw new Error('bench/wrk/post.lua not found');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-wrk-'));
  try {
    const bodyFile = path.join(dir, 'body');
    const headersFile = path.join(dir, 'headers');
    await writeFile(bodyFile, run.body);
    await writeFile(
      headersFile,
      Object.entries(run.headers)
        .map(([k, v]) => `${k}: ${v}\n`)
        .join(''),
    );
    const threads = Math.max(1, Math.min(2, run.connections));
    const args = [
      `-t${threads}`,
      `-c${run.connections}`,
      `-d${run.durationSec}s`,
      '--timeout',
      '10s',
      '-s',
      WRK_SCRIPT,
      run.url,
    ];
    const env = {
      ...process.env,
      WRK_BODY_FILE: bodyFile,
      WRK_HEADERS_FILE: headersFile,
      WRK_DELAY_MS: String(run.delayMs ?? 0),
    };
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('error', (e) => reject(new Error(`${WRK_INSTALL_HINT} (${e.message})`)));
      child.once('close', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}: ${err || out}`)),
      );
    });
    return parseWrkOutput(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
