import { readMemory, sampleRss } from './memory';
import { fixed, ms, pacingDelayMs, type BenchOptions, type Measurement } from './report';
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

/**
 * A fresh `tollgate run` and a fresh `tollgate dataplane` (a proxy pod, fed over gRPC), each loaded
 * at the fixed rate from the moment it is ready; the pass-through at the same rate after them.
 */
export async function cold(ctx: Context): Promise<ScenarioResult> {
  const run = await coldRun(ctx, () => ctx.startFresh(), 'tollgate-cold');
  const pod = await coldRun(ctx, () => ctx.startFreshDataplane(), 'dataplane-cold');
  const pass = await pacedRun(passthrough(ctx.ports, CHAT_BODY), ctx.opts, ctx.opts.coldSec);
  const line = (what: string, c: { m: Measurement; readyMs: number }) =>
    `${what}: ready in ${c.readyMs.toFixed(0)} ms; p99 over the first ${ctx.opts.coldSec} s ${fixed(c.m.p99Ms)} ms, ` +
    `passthrough ${fixed(pass.p99Ms)} ms (− passthrough ${ms(c.m.p99Ms - pass.p99Ms)})`;
  return {
    rows: [pass, run.m, pod.m],
    summary: {
      ratios: {},
      lines: [line('run', run), line('dataplane', pod)],
      headlines: [
        {
          name: 'p99 @fixed rate, cold: tollgate − passthrough',
          value: run.m.p99Ms - pass.p99Ms,
          unit: 'ms',
          target: { op: '<=', bound: 2 },
        },
        {
          name: 'p99 @fixed rate, cold: dataplane − passthrough',
          value: pod.m.p99Ms - pass.p99Ms,
          unit: 'ms',
          target: { op: '<=', bound: 2 },
        },
      ],
      extra: {
        readyMs: run.readyMs,
        dataplaneReadyMs: pod.readyMs,
        p99Ms: { tollgate: run.m.p99Ms, dataplane: pod.m.p99Ms, passthrough: pass.p99Ms },
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
