import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full, compacting GC of the whole heap now, without `node --expose-gc`: the flag set at run
 * time exposes `gc` to the contexts created while it is set (one vm context here, the flag unset
 * again right after), not to the main one, so no other code sees a new global. Twice: the first
 * collection's finalizers (weak references, FinalizationRegistry callbacks) free more that the
 * second one takes. The pages emptied are returned to the OS. Measured on the bench's config: two
 * collections of a ~25 MB heap, 20–50 ms, once, before readiness.
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
  }
  gc();
  gc();
}

/**
 * The collection V8 runs by itself once a process has been quiet for 8 s (its memory reducer; for an
 * embedder, `LowMemoryNotification`): full GCs until nothing more is freed, with the young generation
 * shrunk, the compilation cache dropped and the freed pages returned. Measured on the bench's config:
 * idle RSS 81 → 76 MB when run at the end of start, ~40 ms. An embedder asks for it through the
 * inspector (`HeapProfiler.collectGarbage`), here on a session inside the process (no port is
 * opened); it runs as a task of the event loop, and this resolves once it has. A node built without
 * the inspector gets `collectGarbage` instead.
 */
export async function releaseMemory(): Promise<void> {
  let inspector: typeof import('node:inspector');
  try {
    inspector = await import('node:inspector');
  } catch {
    collectGarbage();
    return;
  }
  const session = new inspector.Session();
  session.connect();
  try {
    await new Promise<void>((resolve, reject) =>
      session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    session.disconnect();
  }
}

/** The collections of a serving start, for the proxy's first warm-up (DataplaneOptions). */
export interface ServingCollections {
  collectGarbage: () => void;
  releaseMemory: () => Promise<void>;
}

/**
 * The collections of a serving start: the two its first warm-up runs (`duringWarmup`, passed to the
 * dataplane: a full GC between its rounds, V8's idle collection after the last), and `afterStart`,
 * V8's idle collection once the process has started, left out when the warm-up's has run (no
 * warm-up: `--warmup 0`, `tollgate dataplane` before its first config, a `--workers` primary).
 */
export function startCollections(): { duringWarmup: ServingCollections; afterStart: () => Promise<void> } {
  let released = false;
  return {
    duringWarmup: {
      collectGarbage,
      releaseMemory: async () => {
        await releaseMemory();
        released = true;
      },
    },
    afterStart: async () => {
      if (!released) await releaseMemory();
    },
  };
}
