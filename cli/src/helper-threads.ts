import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { userSetV8Flag } from './v8-flags';

/**
 * V8's helper threads yield to the event loop. A new proxy optimises its request path again under
 * its first real traffic (docs/internals.md); V8 compiles on its helper threads, and on two cores
 * those compiles took the CPU from the event loop (and from the upstream and the clients beside
 * it) for a few milliseconds at a time: clusters of requests all late by the same 4–9 ms in the
 * first seconds after ready. Run at the lowest priority (nice 19), the helpers take only CPU
 * nothing else wants. The GC's stop-the-world phases that V8 shares out to its helpers (scavenge,
 * compaction, pointer update) then run on the event loop's own thread, so that a pause never waits
 * for a helper the scheduler holds back. Marking and sweeping stay concurrent: the event loop does
 * not wait for them, and sweeping on the event loop's thread alone held 3–5 MB more while serving.
 * Measured: bench/README.md, Helper threads (either change alone was no better).
 */

/** The nice value of the helpers unless `TOLLGATE_HELPER_NICE` gives another (0: left as they are). */
export const DEFAULT_HELPER_NICE = 19;

/** What `--no-…` makes the event loop's thread do alone in a pause (a flag the user gave stays theirs). */
const SERIAL_GC_FLAGS = ['parallel-scavenge', 'parallel-compaction', 'parallel-pointer-update'] as const;

/** `TOLLGATE_HELPER_NICE`: an integer from 0 to 19; anything else is the default. */
export function helperNice(value: string | undefined = process.env.TOLLGATE_HELPER_NICE): number {
  if (value === undefined || !/^\d{1,2}$/.test(value.trim())) return DEFAULT_HELPER_NICE;
  const nice = Number(value);
  return nice <= 19 ? nice : DEFAULT_HELPER_NICE;
}

/**
 * Gives every thread of this process but the main one (the event loop) the nice value `nice`.
 * Linux only (threads are listed in `taskDir`, and a thread id is what setpriority takes there);
 * elsewhere nothing happens. Only threads that exist now: called before anything starts libuv's
 * thread pool (file system, DNS), these are V8's. Returns how many were lowered.
 */
export function lowerHelperThreads(nice: number, taskDir = '/proc/self/task'): number {
  if (nice <= 0 || process.platform !== 'linux') return 0;
  let threads: string[];
  try {
    threads = readdirSync(taskDir);
  } catch {
    return 0;
  }
  let lowered = 0;
  for (const name of threads) {
    const tid = Number(name);
    if (tid === process.pid) continue; // the main thread's id is the process's
    try {
      setPriority(tid, nice);
      lowered++;
    } catch {
      // ended meanwhile
    }
  }
  return lowered;
}

/** The flags that put the GC's stop-the-world phases on the event loop's thread alone (see above). */
export function serialGcFlags(execArgv?: readonly string[], nodeOptions?: string): string[] {
  return SERIAL_GC_FLAGS.filter((f) => !userSetV8Flag(f, execArgv, nodeOptions)).map((f) => `--no-${f}`);
}

/** Both, once, as the CLI's first module loads. Returns how many threads were lowered. */
export function yieldHelperThreads(): number {
  const lowered = lowerHelperThreads(helperNice());
  if (lowered > 0) for (const flag of serialGcFlags()) setFlagsFromString(flag);
  return lowered;
}
