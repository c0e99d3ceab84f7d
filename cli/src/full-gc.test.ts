import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { releaseMemory, startCollections } from './full-gc';

/**
 * Major GCs, counted as node reports them. Not only forced ones: `gc()`'s are flagged forced, V8's
 * idle collection's are not.
 */
async function majorGcsDuring(run: () => unknown): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  await run();
  // Entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return seen.filter((e) => {
    const { detail } = e as unknown as { detail: { kind: number } };
    return detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
  }).length;
}

const newSpaceBytes = () =>
  getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

/** Short-lived objects enough for V8 to grow the young generation (to 16 MB here; 1 MB when started). */
function growYoungGeneration(): void {
  let kept: object[] = [];
  for (let i = 0; i < 2_000_000; i++) {
    kept.push({ i });
    if (kept.length > 50_000) kept = [];
  }
}

describe('the collections of a serving start', () => {
  it('collect at the end of start when no warm-up has', async () => {
    const gc = startCollections();
    expect(await majorGcsDuring(() => gc.afterStart())).toBeGreaterThanOrEqual(1);
  });

  it('collect during the warm-up (between its rounds, and after them), and not again at the end of start', async () => {
    const gc = startCollections();
    expect(await majorGcsDuring(() => gc.duringWarmup.collectGarbage())).toBeGreaterThanOrEqual(1);
    expect(await majorGcsDuring(() => gc.duringWarmup.releaseMemory())).toBeGreaterThanOrEqual(1);
    expect(await majorGcsDuring(() => gc.afterStart())).toBe(0);
  });

  it('still collect at the end of start when the warm-up ran only its full GC', async () => {
    const gc = startCollections();
    gc.duringWarmup.collectGarbage();
    expect(await majorGcsDuring(() => gc.afterStart())).toBeGreaterThanOrEqual(1);
  });
});

describe('releaseMemory: V8 idle collection, on request', () => {
  it('gives back, by the time it resolves, the young generation a burst of allocation grew', async () => {
    growYoungGeneration();
    const grown = newSpaceBytes();
    expect(grown).toBeGreaterThan(4 * 1024 * 1024);
    await releaseMemory();
    expect(newSpaceBytes()).toBeLessThan(grown / 2);
  });
});
