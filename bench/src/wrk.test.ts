import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  histogramStats,
  parseWrkOutput,
  runWrk,
  toMeasurement,
  uncorrectHistogram,
  type WrkResult,
} from './wrk';

const result: WrkResult = {
  durationUs: 2_500_000,
  requests: 5000,
  bytes: 123456,
  errors: { connect: 1, read: 2, write: 0, status: 4, timeout: 3 },
  latencyUs: { min: 90, mean: 410.5, max: 9000, stdev: 50.25, p50: 380, p90: 600, p99: 1250, p999: 4000 },
  histogram: null,
};

/** wrk 4's stats_correct (stats.c) on a histogram, to check that its undoing gives back what was recorded. */
function wrkCorrect(recorded: Map<number, number>, e: number): Map<number, number> {
  const data = new Map(recorded);
  const max = Math.max(...recorded.keys());
  for (let n = e * 2; n <= max; n++) {
    const count = data.get(n) ?? 0;
    for (let m = n - e; count && m > e; m -= e) data.set(m, (data.get(m) ?? 0) + count);
  }
  return data;
}
const flat = (h: Map<number, number>) => [...h].flatMap(([v, c]) => [v, c]);
const stdoutOf = (json: string) =>
  `Running 3s test @ http://127.0.0.1:1/\n  2 threads and 32 connections\nRequests/sec: 2000.00\nWRK_JSON ${json}\n`;

describe('wrk output', () => {
  it('parses the JSON line printed by the Lua done() hook', () => {
    expect(parseWrkOutput(stdoutOf(JSON.stringify(result)))).toEqual(result);
  });
  it('says what is wrong with output it cannot use', () => {
    expect(() => parseWrkOutput('Requests/sec: 10\n')).toThrow('no WRK_JSON line');
    const noP99 = { ...result, latencyUs: { ...result.latencyUs, p99: 'x' } };
    expect(() => parseWrkOutput(stdoutOf(JSON.stringify(noP99)))).toThrow('latencyUs.p99 is not a number');
    expect(() => parseWrkOutput(stdoutOf(JSON.stringify({ ...result, errors: null })))).toThrow(
      'errors is missing',
    );
  });
  it('turns a run into a bench row: rate over wrk’s duration, ms, status errors apart', () => {
    const m = toMeasurement('tollgate', result, 32);
    expect(m.requestsPerSec).toBeCloseTo(result.requests / (result.durationUs / 1e6));
    expect(m.p50Ms).toBeCloseTo(result.latencyUs.p50 / 1000);
    expect(m.p99Ms).toBeCloseTo(result.latencyUs.p99 / 1000);
    expect(m.errors).toBe(1 + 2 + 0 + 3);
    expect(m.non2xx).toBe(4);
    expect(m.requests).toBe(result.requests);
  });
});

describe('wrk latency histogram', () => {
  it('undoes wrk’s coordinated-omission back-fill and gives back the recorded samples', () => {
    // a pseudo-random spread of recorded latencies with a long tail, several expected intervals
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const connections of [1, 4, 16]) {
      const recorded = new Map<number, number>();
      for (let i = 0; i < 3000; i++) {
        const v = Math.floor(20 + rand() * 200 + (rand() < 0.03 ? rand() * 20_000 : 0));
        recorded.set(v, (recorded.get(v) ?? 0) + 1);
      }
      const requests = 3000;
      const durationUs = 100_000;
      const e = Math.floor(durationUs / Math.floor(requests / connections));
      const corrected = wrkCorrect(recorded, e);
      const total = (h: Map<number, number>) => [...h.values()].reduce((a, b) => a + b, 0);
      expect(total(corrected)).toBeGreaterThan(total(recorded));
      const back = uncorrectHistogram(flat(corrected), { durationUs, requests, connections });
      expect(back).toEqual([...recorded].sort((a, b) => a[0] - b[0]));
    }
  });
  it('leaves a histogram alone when there was nothing to correct', () => {
    expect(uncorrectHistogram([5, 2, 3, 1], { durationUs: 1000, requests: 1, connections: 4 })).toEqual([
      [3, 1],
      [5, 2],
    ]);
  });
  it('takes percentiles the way wrk does', () => {
    const pairs: [number, number][] = [
      [10, 50],
      [20, 40],
      [300, 9],
      [5000, 1],
    ];
    const s = histogramStats(pairs);
    expect(s.count).toBe(100);
    // rank = round(p/100 · 100 + 0.5): p50 → 51st sample, p90 → 91st, p99 → 100th, p10 → 11th
    expect(s.percentileUs(10)).toBe(10);
    expect(s.percentileUs(50)).toBe(20);
    expect(s.percentileUs(90)).toBe(300);
    expect(s.percentileUs(99)).toBe(5000);
    expect(s.meanUs).toBeCloseTo((10 * 50 + 20 * 40 + 300 * 9 + 5000) / 100);
    expect(s.maxUs).toBe(5000);
  });
  it('uses the recorded percentiles for a row when the histogram is there', () => {
    const withHist = { ...result, requests: 4, durationUs: 1_000_000, histogram: [100, 3, 7000, 1] };
    const m = toMeasurement('t', withHist, 1);
    expect(m.p50Ms).toBeCloseTo(0.1);
    expect(m.p99Ms).toBeCloseTo(7);
    expect(() => parseWrkOutput(stdoutOf(JSON.stringify({ ...result, histogram: [1, 2, 3] })))).toThrow(
      'histogram is not a flat list',
    );
  });
});

describe('wrk with bench/wrk/post.lua (real wrk, real server)', () => {
  let server: http.Server;
  let url: string;
  const seen: { method?: string; auth?: string; type?: string; body: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (seen.length < 50)
          seen.push({
            method: req.method,
            auth: req.headers.authorization,
            type: req.headers['content-type'],
            body,
          });
        res.writeHead(req.headers['x-fail'] ? 500 : 200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('sends the body and headers it is given and reports JSON percentiles', async () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi: there' }] });
    const r = await runWrk({
      url,
      body,
      headers: { authorization: 'Bearer sk-test' },
      connections: 2,
      durationSec: 1,
    });
    expect(r.requests).toBeGreaterThan(10);
    expect(r.errors.status).toBe(0);
    expect(r.latencyUs.p50).toBeGreaterThan(0);
    expect(r.latencyUs.p99).toBeGreaterThanOrEqual(r.latencyUs.p50);
    expect(seen[0]).toEqual({ method: 'POST', auth: 'Bearer sk-test', type: 'application/json', body });
  });
  it('hands back a histogram whose undone counts are the requests, and add up to no more than the run at 1 connection', async () => {
    const r = await runWrk({ url, body: '{}', headers: {}, connections: 1, durationSec: 1 });
    expect(r.histogram).not.toBeNull();
    const recorded = histogramStats(uncorrectHistogram(r.histogram as number[], { ...r, connections: 1 }));
    expect(recorded.count).toBe(r.requests - r.errors.timeout);
    // one connection, one request at a time: the recorded latencies fit in the run's duration
    expect(recorded.meanUs * recorded.count).toBeLessThanOrEqual(r.durationUs);
  });
  it('paces each connection with delay() and counts error statuses', async () => {
    const r = await runWrk({
      url,
      body: '{}',
      headers: { 'x-fail': '1' },
      connections: 2,
      durationSec: 1,
      delayMs: 50,
    });
    const rate = r.requests / (r.durationUs / 1e6);
    // 2 connections each waiting 50 ms before a request: at most 40 req/s, closed loop
    expect(rate).toBeLessThanOrEqual(45);
    expect(rate).toBeGreaterThan(10);
    expect(r.errors.status).toBe(r.requests);
  });
});
