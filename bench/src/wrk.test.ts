import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWrkOutput, runWrk, toMeasurement, type WrkResult } from './wrk';

const result: WrkResult = {
  durationUs: 2_500_000,
  requests: 5000,
  bytes: 123456,
  errors: { connect: 1, read: 2, write: 0, status: 4, timeout: 3 },
  latencyUs: { min: 90, mean: 410.5, max: 9000, stdev: 50.25, p50: 380, p90: 600, p99: 1250, p999: 4000 },
};
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
    const m = toMeasurement('tollgate', result);
    expect(m.requestsPerSec).toBeCloseTo(result.requests / (result.durationUs / 1e6));
    expect(m.p50Ms).toBeCloseTo(result.latencyUs.p50 / 1000);
    expect(m.p99Ms).toBeCloseTo(result.latencyUs.p99 / 1000);
    expect(m.errors).toBe(1 + 2 + 0 + 3);
    expect(m.non2xx).toBe(4);
    expect(m.requests).toBe(result.requests);
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
