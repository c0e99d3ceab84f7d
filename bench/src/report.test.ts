import {
  formatHeadlines,
  formatTable,
  median,
  medianRound,
  pairedDifference,
  pacingDelayMs,
  roundRatioRange,
  parseBenchArgs,
  percentile,
  ratio,
  type Measurement,
} from './report';

describe('bench report helpers', () => {
  it('computes ratios and guards a zero base', () => {
    expect(ratio(850, 1000)).toBe(0.85);
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(5, 0)).toBeNaN();
  });
  it('takes nearest-rank percentiles', () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 99)).toBe(10);
    expect(percentile(xs, 10)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });
  it('parses flags with defaults and rejects bad values', () => {
    expect(parseBenchArgs([], ['chat', 'chat-stream'])).toEqual({
      durationSec: 5,
      connections: 32,
      warmupSec: 2,
      rounds: 5,
      scenarios: ['chat', 'chat-stream'],
      chunkDelayMs: 0,
      rateRps: 1000,
      pacedConnections: 16,
      coldSec: 10,
      coldRuns: 3,
      memorySec: 60,
      quick: false,
      profile: false,
      profileSec: 20,
      workers: 1,
    });
    expect(parseBenchArgs(['--chunk-delay', '2'], ['chat']).chunkDelayMs).toBe(2);
    expect(parseBenchArgs(['--duration', '2', '--scenario', 'chat'], ['chat']).durationSec).toBe(2);
    expect(() => parseBenchArgs(['--scenario', 'nope'], ['chat'])).toThrow("unknown scenario 'nope'");
    expect(() => parseBenchArgs(['--connections', '0'], ['chat'])).toThrow(
      '--connections must be a number >= 1',
    );
    expect(() => parseBenchArgs(['--memory-duration', 'x'], ['chat'])).toThrow(
      '--memory-duration must be a number',
    );
  });
  it('shortens the run with --quick, and explicit flags still win', () => {
    const full = parseBenchArgs([], ['chat']);
    const quick = parseBenchArgs(['--quick'], ['chat']);
    expect(quick.quick).toBe(true);
    expect(quick.rounds * quick.durationSec).toBeLessThan(full.rounds * full.durationSec);
    expect(quick.memorySec).toBeLessThan(full.memorySec);
    expect(quick.coldRuns).toBeLessThan(full.coldRuns);
    expect(quick.warmupSec).toBeLessThan(full.warmupSec);
    expect(
      parseBenchArgs(['--quick', '--rounds', '7', '--memory-duration', '30', '--cold-runs', '5'], ['chat']),
    ).toMatchObject({
      rounds: 7,
      memorySec: 30,
      coldRuns: 5,
    });
    expect(() => parseBenchArgs(['--cold-runs', '0'], ['chat'])).toThrow('--cold-runs must be a number >= 1');
    expect(
      parseBenchArgs(['--profile', '--profile-duration', '5', '--workers', '2'], ['chat']),
    ).toMatchObject({
      profile: true,
      profileSec: 5,
      workers: 2,
    });
  });
  it('spreads a fixed rate over the connections as a pause before each request', () => {
    expect(pacingDelayMs(1000, 16)).toBe(16);
    expect(pacingDelayMs(500, 1)).toBe(2);
    // the offered rate is what the pauses add up to
    expect((16 * 1000) / pacingDelayMs(1000, 16)).toBe(1000);
  });
  it('reports the median round', () => {
    const m = (rps: number): Measurement => ({
      target: 't',
      requestsPerSec: rps,
      p50Ms: 1,
      p99Ms: 2,
      requests: rps,
      errors: 0,
      non2xx: 0,
    });
    expect(medianRound([m(900), m(300), m(500)]).requestsPerSec).toBe(500);
    expect(medianRound([m(2), m(1)]).requestsPerSec).toBe(1);
    expect(() => medianRound([])).toThrow('no rounds');
  });
  it('formats an aligned table with error counts', () => {
    const t = formatTable('chat', [
      {
        target: 'direct',
        requestsPerSec: 10000,
        p50Ms: 1.5,
        p99Ms: 4,
        requests: 100000,
        errors: 0,
        non2xx: 0,
      },
      {
        target: 'tollgate',
        requestsPerSec: 8000,
        p50Ms: 2,
        p99Ms: 5.25,
        requests: 80000,
        errors: 1,
        non2xx: 2,
      },
    ]);
    const lines = t.split('\n');
    expect(lines[0]).toBe('scenario: chat');
    expect(lines[1]).toMatch(/target\s+req\/s\s+p50 ms\s+p99 ms\s+requests\s+errors/);
    expect(lines[3]).toMatch(/tollgate\s+8000\s+2\.00\s+5\.25\s+80000\s+3$/);
  });
  it('adds first-token columns when a scenario times them', () => {
    const lines = formatTable('messages-stream', [
      {
        target: 'translated',
        requestsPerSec: 900,
        p50Ms: 10,
        p99Ms: 20,
        ttfbP50Ms: 4,
        ttfbP99Ms: 8,
        ttftP50Ms: 4.5,
        ttftP99Ms: 9,
        requests: 900,
        errors: 0,
        non2xx: 0,
      },
    ]).split('\n');
    expect(lines[1]).toMatch(/ttfb p50\s+ttfb p99\s+ttft p50\s+ttft p99\s+requests/);
    expect(lines[2]).toMatch(/4\.00\s+8\.00\s+4\.50\s+9\.00\s+900\s+0$/);
  });
  it('lists headline figures with their targets and whether each is met', () => {
    const lines = formatHeadlines([
      { name: 'native ratio', value: 0.42, unit: '×', target: { op: '>=', bound: 0.8 } },
      { name: 'added p50', value: 0.1, unit: 'ms', target: { op: '<=', bound: 0.15 } },
      { name: 'RSS idle', value: 117.4, unit: 'MB', target: { op: '<=', bound: 70 } },
      { name: 'no target', value: 1.5, unit: 'ms' },
    ]).split('\n');
    expect(lines[0]).toMatch(/^figure\s+value\s+target\s+met$/);
    expect(lines[1]).toMatch(/^native ratio\s+0\.42×\s+>= 0\.8×\s+no$/);
    expect(lines[2]).toMatch(/^added p50\s+0\.10 ms\s+<= 0\.15 ms\s+yes$/);
    expect(lines[3]).toMatch(/^RSS idle\s+117 MB\s+<= 70 MB\s+no$/);
    expect(lines[4]).toMatch(/^no target\s+1\.50 ms\s*$/);
  });
  it('gives the spread of a ratio over the interleaved rounds', () => {
    const perRound = { tollgate: [400, 450, 390], passthrough: [1000, 1000, 1000], other: [1] };
    expect(roundRatioRange(perRound, 'tollgate/passthrough')).toEqual({ min: 0.39, max: 0.45 });
    expect(roundRatioRange(perRound, 'tollgate/missing')).toBeUndefined();
    expect(roundRatioRange(perRound, 'tollgate/other')).toBeUndefined();
  });
  it('takes the median of an odd or even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
  it('gives paired differences, their median and spread', () => {
    expect(pairedDifference([5, 3, 4.5], [2, 2, 1])).toEqual({
      each: [3, 1, 3.5],
      median: 3,
      min: 1,
      max: 3.5,
    });
    expect(pairedDifference([1, 2], [0, 0])).toMatchObject({ median: 1.5, min: 1, max: 2 });
    expect(() => pairedDifference([1, 2], [0])).toThrow('as many values as bases, got 2 and 1');
    expect(() => pairedDifference([], [])).toThrow('got 0 and 0');
  });
});
