/*
 * The V8 settings of a serving process: `tollgate run` and `tollgate dataplane`, and each of their
 * `--workers` workers alike. Imported first by the CLI's entry (tollgate.ts) and by a worker's
 * (cluster/worker-main.ts), so that it runs before any other module of theirs loads (the CLI's own
 * imports already load ~190 modules: the HTTP server's limits pull in the formats and undici).
 *
 * - V8's young generation is held at its initial size until the process has started serving
 *   (`startServing`), or until main() sees a command that does not serve and lets it grow again
 *   (`notServing`, which also undoes the next point). Unheld, loading the CLI's modules grew it to
 *   2 × 8 MB before the command even ran, and V8 kept it committed while idle.
 * - The old generation may grow 20 % over what the last full GC left before the next one
 *   (`--heap-growing-percent=20`; V8 otherwise picks up to 100 % and more for a small heap): the
 *   start's garbage (compile, warm-up) is collected sooner. Measured: peak during start 105 → 88 MB,
 *   no change in CPU per request at 1,000 req/s nor at saturation. A flag of the user's own on
 *   node's command line is left as given.
 * - V8's helper threads (its compilers' and the GC's) run at the lowest priority, and the GC's
 *   pauses on the main thread alone (helper-threads.ts): here, before anything starts libuv's
 *   thread pool, so that only V8's threads are lowered. Every command, serving or not: a thread's
 *   priority cannot be raised again without privileges.
 *
 * A worker's node command line and NODE_OPTIONS are its primary's (node:cluster forks it with the
 * primary's execArgv and environment), so a V8 flag the user gave rules in the workers as well.
 */
import { setFlagsFromString } from 'node:v8';
import { userSetV8Flag } from './v8-flags';
import { startCollections } from './full-gc';
import { yieldHelperThreads } from './helper-threads';
import { compileWasmBaselineOnly } from './wasm-tier';
import { holdYoungGeneration, releaseYoungGeneration, withYoungGenerationHeld } from './young-generation';

const ownHeapGrowth = userSetV8Flag('heap-growing-percent');
holdYoungGeneration();
yieldHelperThreads();
if (!ownHeapGrowth) setFlagsFromString('--heap-growing-percent=20');

/** A command that does not serve (`controller`, `validate`, `compile`): V8's own heap policies. */
export function notServing(): void {
  releaseYoungGeneration();
  if (!ownHeapGrowth) setFlagsFromString('--heap-growing-percent=0');
}

/** What the settings take from the serving flags (`run`, `dataplane`; a worker gets its primary's). */
export interface ServingV8Options {
  /** `--max-semi-space`: where the young generation stops growing once started; undefined: V8's own. */
  maxSemiSpaceMb: number | undefined;
  /** `--optimize-wasm`: TurboFan may optimise WebAssembly. */
  optimizeWasm: boolean;
}

/**
 * Starts serving with the rest of the settings: WebAssembly by Liftoff only unless `optimizeWasm`
 * (wasm-tier.ts), the young generation held through `start` and `until`, a full GC then, and the
 * young generation capped at `maxSemiSpaceMb` from then on (young-generation.ts:
 * withYoungGenerationHeld, whose arguments these are). `start` gets the full GC for the proxy's first
 * warm-up to run between its rounds (DataplaneOptions.collectGarbage); once it has, the one at the
 * end is left out (full-gc.ts: startCollections).
 */
export function startServing<T>(
  options: ServingV8Options,
  start: (collectGarbage: () => void) => Promise<T>,
  until?: (started: T) => Promise<unknown>,
): Promise<T> {
  if (!options.optimizeWasm) compileWasmBaselineOnly();
  const gc = startCollections();
  return withYoungGenerationHeld(() => start(gc.duringWarmup), until, options.maxSemiSpaceMb, gc.afterStart);
}
