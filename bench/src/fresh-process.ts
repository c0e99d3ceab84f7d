import { readMemory, sampleRss } from './memory';
import {
  fixed,
  median,
  ms,
  pacingDelayMs,
  pairedDifference,
  type BenchOptions,
  type Measurement,
} from './report';
import type { TollgateProcess } from './processes';
import type { Context, ScenarioResult } from './scenarios';
import { check } from './stream-loop';
import { CHAT_BODY, passthrough, tollgate, type Target } from './targets';
import { runWrk, toMeasurement } from './wrk';

/**
 * The scenarios that start a Tollgate process of their own and measure it once: `cold` (its first
 * seconds after ready) and `memory` (its RSS while starting, idle and serving).
 */

const pacedLoad = (o: BenchOptions) => ({
  connections: o.pacedConnections,
  delayMs: pacingDelayMs(o.rateRps, o.pacedConnections),
});

/** wrk at the fixed rate against one target for `durationSec`. */
async function pacedRun(t: Target, o: BenchOptions, durationSec: number): Promise<Measurement> {
  const load = pacedLoad(o);
  return toMeasurement(t.name, await runWrk({ ...t, ...load, durationSec }), load.connections);
}

/** The first `--cold-duration` seconds of a fresh process, load started the moment /readyz answers. */
async function coldRun(
  ctx: Context,
  start: () => Promise<TollgateProcess>,
  name: string,
): Promise<{ m: Measurement; readyMs: number }> {
  const fresh = await start();
  const t = tollgate({ ...ctx.ports, tollgate: fresh.port }, CHAT_BODY, name);
  const m = await pacedRun(t, ctx.opts, ctx.opts.coldSec);
  // checked after, not before: a request before the load would warm the process up
  const problem = await check(t, false);
  await fresh.stop();
  if (problem) throw new Error(`cold/${name} does not answer properly: ${problem}`);
  return { m, readyMs: fresh.readyMs };
}

/** The least time the pass-through is warmed before a `cold` run (with `--warmup` above 0), s. */
const PASSTHROUGH_SETTLE_SEC = 6;

/**
 * The pass-through at the fixed rate after `--warmup` s (6 at least) of the same load: the steady
 * reference a fresh Tollgate is held to. It sits idle through the two fresh processes' runs, long
 * enough for V8 to shrink its heap, and paid for it in its own first seconds: unwarmed, the first of
 * the three runs measured 3.9–5.6 ms against the others' ~2; warmed 2 s, 3.0–3.8; 6 s, 2.4–2.6
 * against 2.1–2.3.
 */
async function steadyPassthrough(ctx: Context): Promise<Measurement> {
  const t = passthrough(ctx.ports, CHAT_BODY);
  const settle = ctx.opts.warmupSec > 0 ? Math.max(ctx.opts.warmupSec, PASSTHROUGH_SETTLE_SEC) : 0;
  if (settle > 0) await pacedRun(t, ctx.opts, settle);
  return pacedRun(t, ctx.opts, ctx.opts.coldSec);
}

/**
 * A new pass-through process loaded at the fixed rate from the moment it listens: what the first
 * seconds of a fresh process without any logic (nor any warm-up) cost, the other reading of the
 * cold target.
 */
async function freshPassthroughRun(ctx: Context): Promise<Measurement> {
  const fresh = await ctx.startFreshPassthrough();
  try {
    const t = {
      ...passthrough({ ...ctx.ports, passthrough: fresh.port }, CHAT_BODY),
      name: 'passthrough-fresh',
    };
    const m = await pacedRun(t, ctx.opts, ctx.opts.coldSec);
    // checked after, as a fresh Tollgate is (coldRun)
    const problem = await check(t, false);
    if (problem) throw new Error(`cold/passthrough-fresh does not answer properly: ${problem}`);
    return m;
  } finally {
    await fresh.stop();
  }
}

/** One repetition of `cold`, back to back: fresh `run`, fresh `dataplane`, fresh and warm pass-through. */
interface ColdRepetition {
  run: { m: Measurement; readyMs: number };
  pod: { m: Measurement; readyMs: number };
  freshPass: Measurement;
  pass: Measurement;
}

/** `m` under the target name `name#i` when the scenario repeats (`--cold-runs` above 1). */
const nth = (m: Measurement, i: number, runs: number): Measurement =>
  runs > 1 ? { ...m, target: `${m.target}#${i + 1}` } : m;

/** The figures of one fresh process against one reference, repetition by repetition. */
function against(
  reps: ColdRepetition[],
  of: (r: ColdRepetition) => number,
  base: (r: ColdRepetition) => number,
) {
  return pairedDifference(reps.map(of), reps.map(base));
}

/**
 * A fresh `tollgate run` and a fresh `tollgate dataplane` (a proxy pod, fed over gRPC), each loaded
 * at the fixed rate from the moment it is ready; then a fresh pass-through and the warm one at the
 * same rate. All four `--cold-runs` times, interleaved; the figures are the medians of the paired
 * differences (each against the same repetition's pass-through), with their spread. The target is
 * held against the warm pass-through; against the fresh one are figures without a target.
 */
export async function cold(ctx: Context): Promise<ScenarioResult> {
  const runs = ctx.opts.coldRuns;
  const reps: ColdRepetition[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await coldRun(ctx, () => ctx.startFresh(), 'tollgate-cold');
    const pod = await coldRun(ctx, () => ctx.startFreshDataplane(), 'dataplane-cold');
    const freshPass = await freshPassthroughRun(ctx);
    reps.push({ run, pod, freshPass, pass: await steadyPassthrough(ctx) });
  }
  const warm = (r: ColdRepetition) => r.pass.p99Ms;
  const fresh = (r: ColdRepetition) => r.freshPass.p99Ms;
  const run = (r: ColdRepetition) => r.run.m.p99Ms;
  const pod = (r: ColdRepetition) => r.pod.m.p99Ms;
  const diffs = {
    tollgate: against(reps, run, warm),
    dataplane: against(reps, pod, warm),
    freshPassthrough: against(reps, fresh, warm),
    tollgateOverFresh: against(reps, run, fresh),
    dataplaneOverFresh: against(reps, pod, fresh),
  };
  const spread = (d: (typeof diffs)['tollgate']) =>
    runs > 1 ? `median ${ms(d.median)} (${ms(d.min)} to ${ms(d.max)} over ${runs} runs)` : ms(d.median);
  const each = (p99: (r: ColdRepetition) => number) => reps.map((r) => `${fixed(p99(r))} ms`).join(', ');
  const readyMs = (pick: (r: ColdRepetition) => number) => median(reps.map(pick));
  const of = runs > 1 ? `, median of ${runs}` : '';
  const headline = (name: string, value: number, target?: boolean) => ({
    name: `p99 @fixed rate, cold: ${name}${of}`,
    value,
    unit: 'ms',
    ...(target ? { target: { op: '<=' as const, bound: 2 } } : {}),
  });
  return {
    rows: reps.flatMap((r, i) => [r.pass, r.freshPass, r.run.m, r.pod.m].map((m) => nth(m, i, runs))),
    summary: {
      ratios: {},
      lines: [
        `p99 over the first ${ctx.opts.coldSec} s: run ${each(run)} (ready in ${readyMs((r) => r.run.readyMs).toFixed(0)} ms), ` +
          `dataplane ${each(pod)} (${readyMs((r) => r.pod.readyMs).toFixed(0)} ms), a fresh passthrough ${each(fresh)}; ` +
          `the warm passthrough ${each(warm)}`,
        `− warm passthrough: run ${spread(diffs.tollgate)}, dataplane ${spread(diffs.dataplane)}, ` +
          `fresh passthrough ${spread(diffs.freshPassthrough)}`,
        `− fresh passthrough: run ${spread(diffs.tollgateOverFresh)}, dataplane ${spread(diffs.dataplaneOverFresh)}`,
      ],
      headlines: [
        headline('tollgate − passthrough', diffs.tollgate.median, true),
        headline('dataplane − passthrough', diffs.dataplane.median, true),
        headline('a fresh passthrough − passthrough', diffs.freshPassthrough.median),
        headline('tollgate − a fresh passthrough', diffs.tollgateOverFresh.median),
        headline('dataplane − a fresh passthrough', diffs.dataplaneOverFresh.median),
      ],
      extra: {
        readyMs: readyMs((r) => r.run.readyMs),
        dataplaneReadyMs: readyMs((r) => r.pod.readyMs),
        p99Ms: {
          tollgate: reps.map(run),
          dataplane: reps.map(pod),
          freshPassthrough: reps.map(fresh),
          passthrough: reps.map(warm),
        },
        p99DifferencesMs: diffs,
      },
    },
  };
}

/** RSS while starting (VmHWM at ready), and idle once settled: 20 checked requests, then 3 s quiet. */
async function startAndIdle(
  ctx: Context,
  start: () => Promise<TollgateProcess>,
  label: string,
): Promise<{ fresh: TollgateProcess; t: Target; startPeak: number; idle: number }> {
  const fresh = await start();
  const atReady = await readMemory(fresh.pid);
  const t = tollgate({ ...ctx.ports, tollgate: fresh.port }, CHAT_BODY);
  for (let i = 0; i < 20; i++) {
    const problem = await check(t, false);
    if (problem) throw new Error(`memory/${label} does not answer properly: ${problem}`);
  }
  await new Promise((r) => setTimeout(r, 3000));
  const idle = await readMemory(fresh.pid);
  return { fresh, t, startPeak: atReady.hwmMb, idle: idle.rssMb };
}

/**
 * RSS of a fresh `tollgate run`: peak while starting, idle once settled, and the most while serving
 * the fixed rate; then peak and idle of a fresh `tollgate dataplane` (a proxy pod: the discovery
 * client in, the compile out).
 */
export async function memory(ctx: Context): Promise<ScenarioResult> {
  const run = await startAndIdle(ctx, () => ctx.startFresh(), 'tollgate');
  const sampler = sampleRss(run.fresh.pid, 250);
  const m = await pacedRun(run.t, ctx.opts, ctx.opts.memorySec);
  const samples = await sampler.stop();
  await run.fresh.stop();
  const pod = await startAndIdle(ctx, () => ctx.startFreshDataplane(), 'dataplane');
  await pod.fresh.stop();
  const underLoad = Math.max(...samples);
  const memoryMb = {
    startPeak: run.startPeak,
    idle: run.idle,
    underLoadMax: underLoad,
    samples: samples.length,
    dataplane: { startPeak: pod.startPeak, idle: pod.idle },
  };
  return {
    rows: [m],
    summary: {
      ratios: {},
      lines: [
        `RSS of run: peak while starting (VmHWM at ready) ${run.startPeak.toFixed(0)} MB, idle ${run.idle.toFixed(0)} MB, ` +
          `serving ${ctx.opts.rateRps} req/s for ${ctx.opts.memorySec} s: max ${underLoad.toFixed(0)} MB (${samples.length} samples)`,
        `RSS of dataplane (a proxy pod): peak while starting ${pod.startPeak.toFixed(0)} MB, idle ${pod.idle.toFixed(0)} MB`,
      ],
      headlines: [
        { name: 'RSS idle', value: run.idle, unit: 'MB', target: { op: '<=', bound: 70 } },
        {
          name: `RSS serving ${ctx.opts.rateRps} req/s (max)`,
          value: underLoad,
          unit: 'MB',
          target: { op: '<=', bound: 100 },
        },
        { name: 'RSS peak during start', value: run.startPeak, unit: 'MB', target: { op: '<=', bound: 120 } },
        {
          name: 'RSS idle, dataplane (a proxy pod)',
          value: pod.idle,
          unit: 'MB',
          target: { op: '<=', bound: 70 },
        },
        {
          name: 'RSS peak during start, dataplane',
          value: pod.startPeak,
          unit: 'MB',
          target: { op: '<=', bound: 120 },
        },
      ],
      extra: { memoryMb },
    },
  };
}
