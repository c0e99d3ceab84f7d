import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { startCollections } from './full-gc';

/** Forced major GCs (what `gc()` runs), counted as node reports them. */
async function forcedGcsDuring(run: () => void): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  run();
  // Entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return seen.filter((e) => {
    const { detail } = e as unknown as { detail: { kind: number; flags: number } };
    return (
      detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR &&
      (detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0
    );
  }).length;
}

describe('the full GCs of a serving start', () => {
  it('collect at the end of start when no warm-up has', async () => {
    const gc = startCollections();
    expect(await forcedGcsDuring(() => gc.afterStart())).toBeGreaterThanOrEqual(1);
  });

  it('collect once during the warm-up, and not again at the end of start', async () => {
    const gc = startCollections();
    expect(await forcedGcsDuring(() => gc.duringWarmup())).toBeGreaterThanOrEqual(1);
    expect(await forcedGcsDuring(() => gc.afterStart())).toBe(0);
  });
});
