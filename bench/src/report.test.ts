import { formatTable, medianRound, parseBenchArgs, percentile, ratio, type Measurement } from './report';

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
      durationSec: 10,
      connections: 50,
      warmupSec: 3,
      rounds: 3,
      scenarios: ['chat', 'chat-stream'],
      chunkDelayMs: 0,
    });
    expect(parseBenchArgs(['--chunk-delay', '2'], ['chat']).chunkDelayMs).toBe(2);
    expect(parseBenchArgs(['--duration', '2', '--scenario', 'chat'], ['chat']).durationSec).toBe(2);
    expect(() => parseBenchArgs(['--scenario', 'nope'], ['chat'])).toThrow("unknown scenario 'nope'");
    expect(() => parseBenchArgs(['--connections', '0'], ['chat'])).toThrow(
      '--connections must be a number >= 1',
    );
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
});
