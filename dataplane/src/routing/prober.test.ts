import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CompiledActiveHealthCheck, CompiledRegistry, Resource } from '@tollgate/protocol';
import { buildSnapshot, type Snapshot } from '../config/snapshot';
import { CallAbort } from '../providers/abort';
import type { UpstreamResponse } from '../providers/types';
import { startMockBedrockUpstream, type MockBedrockUpstream } from '../testing/mock-bedrock-upstream';
import {
  refusingPort,
  startMockOpenAIUpstream,
  type MockOpenAIUpstream,
} from '../testing/mock-openai-upstream';
import { consumer, gateway, registry } from '../testing/resources';
import { seeded } from '../testing/routing';
import { dispatch } from './dispatch';
import { HealthRegistry, type ProbeOutcome } from './health';
import {
  Prober,
  createHttpProbe,
  probeFingerprint,
  probeTargets,
  type HttpProbe,
  type Probe,
} from './prober';

const KEY = 'sk-upstream-probe';
const check = (over: Partial<CompiledActiveHealthCheck> = {}): CompiledActiveHealthCheck => ({
  intervalMs: 30,
  timeoutMs: 300,
  unhealthyThreshold: 2,
  healthyThreshold: 2,
  path: '/models',
  ...over,
});

/** A registry resource with active checks. */
function probed(
  name: string,
  baseUrl: string,
  over: Partial<CompiledActiveHealthCheck> = {},
  body: Partial<CompiledRegistry> = {},
): Resource<'Registry'> {
  return registry(name, {
    baseUrl,
    // SigV4-signed registries carry access keys instead
    ...(body.bedrock ? {} : { apiKey: KEY }),
    healthCheck: { passive: { consecutiveFailures: 5, ejectionMs: 30_000 }, active: check(over) },
    ...body,
  });
}

const snapshot = (...registries: Resource<'Registry'>[]): Snapshot => buildSnapshot(registries, 1);

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A bare server that records the headers and path of each request and answers 200. */
async function recorder(): Promise<{
  url: string;
  seen: { path: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}> {
  const seen: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One real upstream and one HTTP probe for the whole file; each test starts with the upstream well. */
let upstream: MockOpenAIUpstream;
let http_: HttpProbe;
beforeAll(async () => {
  upstream = await startMockOpenAIUpstream({ apiKey: KEY });
  http_ = createHttpProbe();
});
afterAll(async () => {
  await http_.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.behave({ kind: 'ok' });
  upstream.requests.length = 0;
});

describe('HTTP probe', () => {
  const stop = new AbortController();
  /** One probe of `r` with its own settings, `over` applied. */
  const run = (r: Resource<'Registry'>, over: Partial<CompiledActiveHealthCheck> = {}) =>
    http_.probe(r.body, { ...(r.body.healthCheck?.active ?? check()), ...over }, stop.signal);

  it('GETs {baseUrl}{path} with the registry credential, on a fresh connection: 2xx is a success', async () => {
    const outcome = await run(probed('a', upstream.url));
    expect(outcome).toMatchObject({ result: 'success', status: 200 });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({
      method: 'GET',
      path: '/v1/models',
      headers: { authorization: `Bearer ${KEY}`, connection: 'close' },
    });
  });

  it.each([
    ['a 5xx', { kind: 'status', status: 503 } as const, 503],
    ['a 429', { kind: 'status', status: 429 } as const, 429],
  ])('%s is a failure (status)', async (_, b, status) => {
    upstream.behave(b);
    expect(await run(probed('a', upstream.url))).toMatchObject({ result: 'status', status });
  });

  it('a rejected credential (401) is a failure: the registry could not serve a request either', async () => {
    const outcome = await run(probed('a', upstream.url, {}, { apiKey: 'sk-wrong' }));
    expect(outcome).toMatchObject({ result: 'status', status: 401 });
  });

  it('no answer within the timeout is a timeout, cut at the timeout', async () => {
    upstream.behave({ kind: 'hang' });
    const t0 = performance.now();
    const outcome = await run(probed('a', upstream.url), { timeoutMs: 100 });
    expect(outcome).toMatchObject({ result: 'timeout', error: 'no answer within 100ms' });
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it('a refused connection is an error, with the reason', async () => {
    const port = await refusingPort();
    const outcome = await run(probed('a', `http://127.0.0.1:${port}/v1`));
    expect(outcome.result).toBe('error');
    expect(outcome.error).toContain('ECONNREFUSED');
  });

  it('stops at once when probing stops', async () => {
    upstream.behave({ kind: 'hang' });
    const ac = new AbortController();
    const pending = http_.probe(probed('a', upstream.url).body, check({ timeoutMs: 5_000 }), ac.signal);
    await eventually(() => upstream.requests.length === 1);
    const t0 = performance.now();
    ac.abort();
    expect((await pending).result).toBe('error');
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it('puts each provider’s credential where it wants it', async () => {
    const rec = await recorder();
    try {
      await run(probed('c', `${rec.url}/v1`, { path: '/models?limit=1' }, { provider: 'anthropic' }));
      await run(
        probed(
          'z',
          rec.url,
          { path: '/openai/models?api-version=2024-10-21' },
          { provider: 'azure-openai', azure: { apiVersion: '2024-10-21' } },
        ),
      );
      await run(probed('g', `${rec.url}/v1beta`, { path: '/models?pageSize=1' }, { provider: 'gemini' }));
      expect(rec.seen.map((s) => s.path)).toEqual([
        '/v1/models?limit=1',
        '/openai/models?api-version=2024-10-21',
        '/v1beta/models?pageSize=1',
      ]);
      expect(rec.seen[0]?.headers).toMatchObject({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01' });
      expect(rec.seen[1]?.headers).toMatchObject({ 'api-key': KEY });
      expect(rec.seen[2]?.headers).toMatchObject({ 'x-goog-api-key': KEY });
      for (const s of rec.seen) expect(s.headers.authorization).toBeUndefined();
    } finally {
      await rec.close();
    }
  });

  describe('bedrock (SigV4-signed GET)', () => {
    let bedrock: MockBedrockUpstream;
    const credentials = { accessKeyId: 'AKIDPROBE', secretAccessKey: 'probe-secret' };
    beforeAll(async () => {
      bedrock = await startMockBedrockUpstream({ credentials });
    });
    afterAll(() => bedrock.close());
    const reg = (secretAccessKey: string) =>
      probed(
        'b',
        bedrock.url,
        { path: '/async-invoke?maxResults=1' },
        { provider: 'bedrock', bedrock: { region: 'us-east-1', ...credentials, secretAccessKey } },
      );

    it('a valid signature gets past authentication (the mock then knows no such operation: 404)', async () => {
      expect(await run(reg(credentials.secretAccessKey))).toMatchObject({ result: 'status', status: 404 });
      expect(bedrock.requests.at(-1)?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDPROBE\//,
      );
    });

    it('a wrong secret is refused (403)', async () => {
      expect(await run(reg('wrong'))).toMatchObject({ result: 'status', status: 403 });
    });
  });

  it('never sends anything for the mock provider: always healthy', async () => {
    expect(await run(registry('m', { provider: 'mock', baseUrl: '' }))).toMatchObject({ result: 'success' });
  });
});

describe('which registries are probed', () => {
  it('those with healthCheck.active, never mock ones', () => {
    const s = snapshot(
      probed('a', 'http://127.0.0.1:1/v1'),
      registry('plain'),
      probed('m', '', {}, { provider: 'mock' }),
    );
    expect(probeTargets(s).map((t) => t.name)).toEqual(['default/a']);
  });

  it('a change of what a probe depends on changes the fingerprint; other changes do not', () => {
    const fp = (r: Resource<'Registry'>) => probeTargets(snapshot(r)).map(probeFingerprint).join();
    const base = fp(probed('a', 'http://h/v1'));
    expect(base).toMatch(/^[0-9a-f]{16}$/); // a digest: no credential in it
    expect(fp(probed('a', 'http://h/v1', {}, { models: ['x', 'y'] }))).toBe(base);
    for (const changed of [
      probed('a', 'http://other/v1'),
      probed('a', 'http://h/v1', { path: '/health' }),
      probed('a', 'http://h/v1', { unhealthyThreshold: 9 }),
      probed('a', 'http://h/v1', {}, { apiKey: 'sk-rotated' }),
    ])
      expect(fp(changed)).not.toBe(base);
  });
});

describe('Prober', () => {
  let prober: Prober | undefined;
  afterEach(() => prober?.close());

  const probes = () => upstream.requests.filter((r) => r.method === 'GET').length;

  it('ejects a registry whose upstream goes down before any request fails, and re-admits it', async () => {
    const health = new HealthRegistry();
    prober = new Prober({ health, probe: http_.probe });
    const config = buildSnapshot(
      [
        gateway('g'),
        probed('primary', upstream.url),
        registry('backup', { provider: 'mock', baseUrl: '' }),
        consumer(
          'c',
          'g',
          ['k'],
          [
            {
              model: 'chat',
              strategy: 'RoundRobin',
              targets: [
                { registry: 'default/primary', weight: 1, priority: 0 },
                { registry: 'default/backup', weight: 1, priority: 1 },
              ],
            },
          ],
        ),
      ],
      1,
    );
    prober.sync(config);
    expect(prober.probing).toEqual(['default/primary']);
    const c = config.gatewaysBySlug.get('g')?.consumersBySlug.get('c');
    const route = c?.routes.get('chat');
    if (!c || !route) throw new Error('fixture');
    const sent: string[] = [];
    const send = () => {
      const res: UpstreamResponse = { status: 200, headers: {}, body: (async function* () {})() };
      return Promise.resolve(res);
    };
    const served = async () => {
      const r = await dispatch(
        route,
        c,
        { clientIp: undefined, random: seeded(1), signal: new CallAbort(), deadlineAt: health.now() + 5_000 },
        (a) => {
          sent.push(a.target.registryName);
          return send();
        },
        health,
      );
      return r.target.registryName;
    };

    await eventually(() => probes() >= 2);
    expect(await served()).toBe('default/primary');
    const dump = () => health.dump()['default/primary'];
    expect(dump()?.active).toMatchObject({ healthy: true, lastProbe: { result: 'success', status: 200 } });

    // The upstream goes down: two failed probes (no request involved) take it out of routing.
    upstream.behave({ kind: 'status', status: 503 });
    await eventually(() => dump()?.healthy === false);
    expect(dump()?.active).toMatchObject({
      healthy: false,
      consecutiveFailures: 2,
      lastProbe: { result: 'status', status: 503 },
    });
    sent.length = 0;
    for (let i = 0; i < 3; i++) expect(await served()).toBe('default/backup');
    expect(sent).toEqual(['default/backup', 'default/backup', 'default/backup']); // never tried

    // It comes back: two successful probes re-admit it.
    upstream.behave({ kind: 'ok' });
    await eventually(() => dump()?.healthy === true);
    expect(dump()?.active).toMatchObject({ healthy: true, consecutiveSuccesses: 2 });
    expect(await served()).toBe('default/primary');
  });

  it('follows the config: keeps probes across unrelated changes, restarts changed ones, stops removed ones', async () => {
    const health = new HealthRegistry();
    prober = new Prober({ health, probe: http_.probe });
    const a = probed('a', upstream.url);
    prober.sync(snapshot(a));
    upstream.behave({ kind: 'status', status: 500 });
    await eventually(() => health.dump()['default/a']?.active?.healthy === false);

    // Another model list: same probes, same verdict.
    prober.sync(snapshot(probed('a', upstream.url, {}, { models: ['m'] })));
    expect(health.dump()['default/a']?.active?.healthy).toBe(false);

    // Another path: probes start over, healthy until proven otherwise.
    prober.sync(snapshot(probed('a', upstream.url, { path: '/models?x=1' })));
    expect(health.dump()['default/a']?.active).toMatchObject({ healthy: true, consecutiveFailures: 0 });
    await eventually(() => upstream.requests.some((r) => r.path === '/v1/models?x=1'));

    // Gone from the config: no more probes, no verdict left.
    prober.sync(snapshot());
    expect(prober.probing).toEqual([]);
    expect(health.dump()['default/a']).toBeUndefined();
    const after = probes();
    await sleep(120);
    expect(probes()).toBe(after);
  });

  it('stops everything on close, in-flight probes included', async () => {
    const health = new HealthRegistry();
    prober = new Prober({ health, probe: http_.probe });
    prober.sync(snapshot(probed('a', upstream.url), probed('b', upstream.url)));
    await eventually(() => probes() >= 4);
    upstream.behave({ kind: 'hang' });
    await sleep(60);
    prober.close();
    // A probe written just before the close may reach the server's request event a moment later
    // (same process, one event loop; seen under a full parallel test run): count after that.
    await sleep(30);
    const after = probes();
    await sleep(120);
    expect(probes()).toBe(after);
    prober.sync(snapshot(probed('a', upstream.url))); // closed: ignored
    expect(prober.probing).toEqual([]);
  });
});

describe('Prober timing (fake probe)', () => {
  /** A probe answering from a script, recording when it was called. */
  function scripted(results: ProbeOutcome['result'][]) {
    const calls: number[] = [];
    const probe: Probe = () => {
      calls.push(performance.now());
      const result =
        results.length > 1 ? (results.shift() as ProbeOutcome['result']) : (results[0] ?? 'success');
      return Promise.resolve({ result, durationMs: 1 });
    };
    return { probe, calls };
  }

  it('first probe within min(interval, 1s), then every interval ±10% after the previous one ended', async () => {
    jest.useFakeTimers();
    try {
      const calls: number[] = [];
      /** Each probe takes 7ms. */
      const probe: Probe = () => {
        calls.push(Date.now());
        return new Promise((resolve) => setTimeout(() => resolve({ result: 'success', durationMs: 7 }), 7));
      };
      const randoms = [0.5, 0, 1, 0.5, 0.25];
      let r = 0;
      const prober = new Prober({ health: new HealthRegistry(), probe, random: () => randoms[r++] ?? 0 });
      const t0 = Date.now();
      prober.sync(snapshot(probed('a', 'http://127.0.0.1:1/v1', { intervalMs: 10_000 })));
      await jest.advanceTimersByTimeAsync(40_000);
      prober.close();
      // first: 0.5 × min(10s, 1s); then 7ms of probe + 10s × (0.9, 1.1, 1.0, 0.95)
      expect(calls.map((t) => t - t0)).toEqual([500, 9_507, 20_514, 30_521]);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(calls).toHaveLength(4); // closed: no more
    } finally {
      jest.useRealTimers();
    }
  });

  it("keeps no timer ref'd: a process with nothing else to do may exit", () => {
    const timers = () => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    const before = timers();
    const prober = new Prober({ health: new HealthRegistry(), probe: scripted(['success']).probe });
    prober.sync(snapshot(probed('a', 'http://127.0.0.1:1/v1', { intervalMs: 60_000 })));
    expect(prober.probing).toEqual(['default/a']);
    expect(timers()).toBe(before);
    prober.close();
  });

  it('logs when a registry goes out of routing and when it comes back', async () => {
    const { probe } = scripted(['status', 'status', 'success', 'success']);
    const lines: string[] = [];
    const logger = {
      warn: (o: object, msg: string) => lines.push(`warn ${msg} ${JSON.stringify(o)}`),
      info: (o: object, msg: string) => lines.push(`info ${msg} ${JSON.stringify(o)}`),
    };
    const health = new HealthRegistry();
    const prober = new Prober({ health, probe, logger });
    prober.sync(snapshot(probed('a', 'http://127.0.0.1:1/v1', { intervalMs: 5 })));
    await eventually(() => lines.length >= 2);
    prober.close();
    expect(lines[0]).toMatch(
      /^warn registry failed 2 health probes in a row: out of routing .*"registry":"default\/a"/,
    );
    expect(lines[1]).toMatch(/^info registry passed 2 health probes in a row: back in routing/);
  });
});
