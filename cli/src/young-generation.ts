import { setFlagsFromString } from 'node:v8';
import { collectGarbage } from './full-gc';

/** V8's own growth factor (its default), restored once the process has started. */
const DEFAULT_GROWTH_FACTOR = 2;

const hold = () => setFlagsFromString('--semi-space-growth-factor=1');
const release = () => setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);

/**
 * Holds V8's young generation at its size from now on (its initial one, 2 × 1 MB, when called
 * before anything has grown it): cli/src/hold-young-generation.ts calls it before the CLI's
 * first module loads. `releaseYoungGeneration` ends the hold (the commands that do not serve).
 */
export function holdYoungGeneration(): void {
  hold();
}

export function releaseYoungGeneration(): void {
  release();
}

/**
 * Runs `start` (loading and starting the proxy) with V8's young generation held at its initial
 * size, and lets it grow again once `start` settles, or later, once `until` does; what starting
 * left behind is collected then, by a full GC, before the hold ends.
 *
 * V8 doubles the young generation (up to 2 × 16 MB on 64-bit) each time as many bytes have
 * survived scavenges as it holds, and gives the space back only after a GC at a low allocation
 * rate, which an idle process never runs. Starting is exactly that pattern: loading modules and
 * compiling the config allocate tens of MB that mostly survive, so a proxy that had just started
 * kept 32 MB of young generation committed while idle (measured: 32 MB of a 110 MB RSS). Held,
 * it stays at 2 × 1 MB; released, it grows as the load needs (V8 reads the factor at each growth,
 * so setting it at run time takes effect), so serving is as before.
 *
 * Held, the warm-up's short-lived objects are promoted to the old generation, which a later
 * mark-compact empties but does not shrink (measured: 39 MB of old space, 20 MB of it live, still
 * there 3 s after ready): the full GC at the end gives those pages back.
 */
export async function withYoungGenerationHeld<T>(
  start: () => Promise<T>,
  /** What else the hold lasts for once `start` has settled (a warm-up), without waiting for it. */
  until?: (started: T) => Promise<unknown>,
): Promise<T> {
  hold();
  const settle = () => {
    collectGarbage();
    release();
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
