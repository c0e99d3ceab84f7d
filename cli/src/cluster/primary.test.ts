import { FanOutStore, restartDelay } from './primary';

describe('FanOutStore', () => {
  it('tells its listeners of the first full sync once, after the store is ready', () => {
    const store = new FanOutStore();
    const seen: boolean[] = [];
    store.onSynced(() => seen.push(store.ready));
    store.replaceAll([]);
    expect(seen).toEqual([]);
    store.markSynced();
    store.markSynced();
    expect(seen).toEqual([true]);
  });
});

describe('restartDelay', () => {
  const restart = { initialMs: 100, maxMs: 10_000, stableMs: 10_000 };
  /** The top of the jitter range: the delays are exactly the doubling ones. */
  const top = () => 1;

  it('doubles while a worker keeps crashing soon after it starts, up to the cap', () => {
    let delay = 0;
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) delays.push((delay = restartDelay(delay, 500, restart, top)));
    expect(delays.slice(0, 3)).toEqual([100, 200, 400]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(restart.maxMs);
    expect(delays.at(-1)).toBe(10_000);
  });

  it('starts over once a worker stayed up longer than stableMs', () => {
    expect(restartDelay(5_000, 60_000, restart, top)).toBe(100);
  });
});
