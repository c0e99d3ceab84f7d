import { Debouncer } from './debounce';

describe('Debouncer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('coalesces a burst into one run after the quiet period', async () => {
    const run = jest.fn();
    const d = new Debouncer(run, { quietMs: 10, maxMs: 100 }, () => Date.now());
    d.trigger();
    jest.advanceTimersByTime(5);
    d.trigger();
    jest.advanceTimersByTime(9);
    expect(run).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    await Promise.resolve();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('runs at the hard cap even while triggers keep arriving', async () => {
    const run = jest.fn();
    const d = new Debouncer(run, { quietMs: 10, maxMs: 30 }, () => Date.now());
    for (let t = 0; t < 29; t += 5) {
      d.trigger();
      jest.advanceTimersByTime(5);
    }
    await Promise.resolve();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('a trigger during a run schedules exactly one more run', async () => {
    jest.useRealTimers();
    let release!: () => void;
    const runs: number[] = [];
    const d = new Debouncer(
      () => {
        runs.push(runs.length);
        if (runs.length === 1) return new Promise<void>((r) => (release = r));
      },
      { quietMs: 1, maxMs: 5 },
    );
    d.trigger();
    await new Promise((r) => setTimeout(r, 10));
    d.trigger();
    d.trigger();
    release();
    await new Promise((r) => setTimeout(r, 20));
    await d.flush();
    expect(runs).toEqual([0, 1]);
  });
});

describe('Debouncer with an adaptive quiet period', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads the quiet period at each trigger', async () => {
    const run = jest.fn();
    let quiet = 1;
    const d = new Debouncer(run, { quietMs: () => quiet, maxMs: 100 }, () => Date.now());
    d.trigger();
    jest.advanceTimersByTime(1);
    await Promise.resolve();
    expect(run).toHaveBeenCalledTimes(1);
    await d.flush();
    quiet = 40;
    d.trigger();
    jest.advanceTimersByTime(39);
    await Promise.resolve();
    expect(run).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    await Promise.resolve();
    expect(run).toHaveBeenCalledTimes(2);
  });
});

describe('Debouncer with a leading edge', () => {
  it('runs a trigger after a quiet spell at the next turn; the same turn joins it; a burst after it is coalesced', async () => {
    const runs: number[] = [];
    const d = new Debouncer(() => void runs.push(Date.now()), { quietMs: 20, maxMs: 100, leading: true });
    const t0 = Date.now();
    d.trigger();
    d.trigger(); // same turn: the same run
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(runs).toHaveLength(1);
    expect((runs[0] ?? Infinity) - t0).toBeLessThan(15); // not after the 20 ms quiet period
    // a burst right after: one trailing run, after the quiet period
    d.trigger();
    await new Promise((r) => setTimeout(r, 5));
    d.trigger();
    expect(runs).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 40));
    await d.flush();
    expect(runs).toHaveLength(2);
    // quiet again: the next one leads again
    await new Promise((r) => setTimeout(r, 25));
    d.trigger();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(runs).toHaveLength(3);
  });

  it('without the option, a lone trigger waits for the quiet period', async () => {
    const runs: number[] = [];
    const d = new Debouncer(() => void runs.push(1), { quietMs: 20, maxMs: 100 });
    d.trigger();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(runs).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toHaveLength(1);
  });

  it('cancel drops a leading run not yet started', async () => {
    const runs: number[] = [];
    const d = new Debouncer(() => void runs.push(1), { quietMs: 20, maxMs: 100, leading: true });
    d.trigger();
    d.cancel();
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toHaveLength(0);
  });
});
