import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { collectGarbage } from './full-gc';

/** V8's own growth factor (its default), restored once the process has started. */
const DEFAULT_GROWTH_FACTOR = 2;
const MB = 1024 * 1024;

let factor = DEFAULT_GROWTH_FACTOR;
function growthFactor(f: number): void {
  if (f === factor) return;
  factor = f;
  setFlagsFromString(`--semi-space-growth-factor=${f}`);
}
const hold = () => growthFactor(1);
const release = () => growthFactor(DEFAULT_GROWTH_FACTOR);

/**
 * The size of a semi-space of the young generation (V8's `new_space`), in whole MB: its capacity,
 * a little under the size (page headers), rounded up. Not the bytes committed: V8 now and then
 * leaves the idle semi-space uncommitted (seen after full GCs while serving), and the committed
 * bytes, half of the young generation then, read as under the cap: released, it doubled past it.
 */
function semiSpaceMb(): number {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return Math.ceil(((space?.space_used_size ?? 0) + (space?.space_available_size ?? 0)) / MB);
}

/**
 * Holds V8's young generation at its size from now on (its initial one, 2 × 1 MB, when called
 * before anything has grown it): cli/src/start-v8.ts calls it before the CLI's first module loads.
 * `releaseYoungGeneration` ends the hold (the commands that do not serve).
 */
export function holdYoungGeneration(): void {
  hold();
}

export function releaseYoungGeneration(): void {
  release();
}

let cap: { maxSemiSpaceMb: number; observer: PerformanceObserver } | undefined;

/**
 * Lets the young generation grow (V8 doubles it each time as many bytes have survived scavenges as
 * it holds) up to `maxSemiSpaceMb` per semi-space, and no further, as node's own
 * `--max-semi-space-size` would; that flag is read only when the heap is set up, so at run time the
 * cap is V8's growth factor, set to 1 once the young generation has reached the cap and back to 2
 * when V8 has shrunk it (after a GC at a low allocation rate), looked at after every GC (between
 * tasks: one long task may grow it past the cap, as far as V8's own maximum). V8 grows it by
 * doubling from 1 MB, so a cap that is not a power of two ends at the next one above. Called again,
 * the new cap replaces the old one; `uncapYoungGeneration` ends it.
 */
export function capYoungGeneration(maxSemiSpaceMb: number): void {
  const check = () => (cap && semiSpaceMb() >= cap.maxSemiSpaceMb ? hold() : release());
  if (cap) cap.maxSemiSpaceMb = maxSemiSpaceMb;
  else {
    cap = { maxSemiSpaceMb, observer: new PerformanceObserver(check) };
    cap.observer.observe({ entryTypes: ['gc'] });
  }
  check();
}

/** Ends the cap (the serving command has stopped): V8 grows the young generation as it likes. */
export function uncapYoungGeneration(): void {
  cap?.observer.disconnect();
  cap = undefined;
  release();
}

/**
 * Runs `start` (loading and starting the proxy) with V8's young generation held at its initial
 * size, and lets it grow again once `start` settles, or later, once `until` does (up to
 * `maxSemiSpaceMb` when given: `capYoungGeneration`); what starting left behind is collected
 * then, by a full GC, before the hold ends.
 *
 * V8 doubles the young generation (up to 2 × 16 MB on 64-bit) each time as many bytes have
 * survived scavenges as it holds, and gives the space back only after a GC at a low allocation
 * rate, which an idle process never runs. Starting is exactly that pattern: loading modules and
 * compiling the config allocate tens of MB that mostly survive, so a proxy that had just started
 * kept 32 MB of young generation committed while idle (measured: 32 MB of a 110 MB RSS). Held,
 * it stays at 2 × 1 MB; released, it grows as the load needs (V8 reads the factor at each growth,
 * so setting it at run time takes effect).
 *
 * Held, the warm-up's short-lived objects are promoted to the old generation, which a later
 * mark-compact empties but does not shrink (measured: 39 MB of old space, 20 MB of it live, still
 * there 3 s after ready): the full GC at the end gives those pages back (idle RSS 104 → 89 MB).
 */
export async function withYoungGenerationHeld<T>(
  start: () => Promise<T>,
  /** What else the hold lasts for once `start` has settled (a warm-up), without waiting for it. */
  until?: (started: T) => Promise<unknown>,
  /** Where the young generation stops growing once released (MB per semi-space); none: V8's own. */
  maxSemiSpaceMb?: number,
  /** The full GC before the hold ends. */
  collect: () => void = collectGarbage,
): Promise<T> {
  hold();
  const settle = () => {
    collect();
    if (maxSemiSpaceMb === undefined) release();
    else capYoungGeneration(maxSemiSpaceMb);
  };
  let started: T;
  try {
    started = await start();
  } catch (err) {
    release();
    throw err;
  }
  if (until) until(started).then(settle, settle);
  else settle();
  return started;
}
