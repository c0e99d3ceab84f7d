import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTollgate, ROOT, type TollgateOptions } from './processes';
import { formatSelfTime, selfTime, type CpuProfile, type SelfTimeSummary } from './profile';
import type { BenchOptions } from './report';
import { check } from './stream-loop';
import { CHAT_BODY, tollgate, type Ports } from './targets';
import { runWrk, toMeasurement } from './wrk';

/** Monotonic microseconds: the clock V8 stamps a .cpuprofile with (CLOCK_MONOTONIC on Linux). */
export const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * `npm run bench -- --profile`: Tollgate under `node --cpu-prof`, the native chat load from wrk at
 * `--connections` for `--profile-duration` s after a warm-up, then SIGTERM (the profile is written as
 * the process exits) and the top 20 functions by self time over the loaded window only.
 */
export async function runProfile(
  opts: BenchOptions,
  ports: Omit<Ports, 'tollgate'>,
  tg: Omit<TollgateOptions, 'nodeArgs'>,
): Promise<{ summary: SelfTimeSummary; requestsPerSec: number; windowed: boolean }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-prof-'));
  try {
    const proc = await startTollgate({ ...tg, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
    const t = tollgate({ ...ports, tollgate: proc.port }, CHAT_BODY);
    const problem = await check(t, false);
    if (problem) throw new Error(`profile/tollgate does not answer properly: ${problem}`);
    if (opts.warmupSec > 0)
      await runWrk({ ...t, connections: opts.connections, durationSec: opts.warmupSec });
    const fromUs = nowUs();
    const r = await runWrk({ ...t, connections: opts.connections, durationSec: opts.profileSec });
    const toUs = nowUs();
    await proc.stop();
    return {
      ...(await readProfile(dir, fromUs, toUs)),
      requestsPerSec: toMeasurement('tollgate', r, opts.connections).requestsPerSec,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The top 20 functions by self time of the `.cpuprofile` a stopped `node --cpu-prof --cpu-prof-dir dir`
 * wrote, over [fromUs, toUs] (the loaded window, on `nowUs`'s clock) when the profile's clock is that one.
 */
export async function readProfile(
  dir: string,
  fromUs: number,
  toUs: number,
): Promise<{ summary: SelfTimeSummary; windowed: boolean }> {
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('tollgate wrote no .cpuprofile (did it exit on SIGTERM?)');
  const profile = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as CpuProfile;
  const summary = selfTime(profile, { top: 20, root: ROOT, fromUs, toUs });
  // should the profile's clock not be the monotonic one here, fall back to the whole run
  if (summary.samples > 0) return { summary, windowed: true };
  return { summary: selfTime(profile, { top: 20, root: ROOT }), windowed: false };
}

export function printProfile(p: { summary: SelfTimeSummary; requestsPerSec: number; windowed: boolean }) {
  console.log(
    `\nCPU profile of tollgate under the native chat load (${p.requestsPerSec.toFixed(0)} req/s), ` +
      `${p.windowed ? 'loaded window only' : 'whole process life (window not found)'}, top 20 by self time:\n`,
  );
  console.log(formatSelfTime(p.summary));
}
