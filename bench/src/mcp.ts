import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { readCpuMs } from './cpu';
import { ROOT, killChildren, startChild, startTollgate } from './processes';
import { formatSelfTime } from './profile';
import { nowUs, readProfile } from './profile-run';
import { percentile, ratio } from './report';

/**
 * npm run bench:mcp — `tools/call` of a trivial tool through Tollgate against the same call straight
 * to the same server (official SDK, Streamable HTTP, stateless, JSON answers), each in its own
 * process:
 *
 * 1. req/s at saturation (autocannon, `--connections`, `--duration`), `--rounds` rounds of direct
 *    then Tollgate: Tollgate ÷ direct per round, and the median; Tollgate's CPU time per call;
 * 2. p50 latency at one connection (sequential calls, `--samples`, the two targets' calls
 *    alternating): Tollgate − direct, and Tollgate's CPU time per call;
 * 3. a session continued on another replica: two Tollgate processes on the same manifests, both
 *    warmed, the session initialized on A, p50 of calls sent to B − p50 of calls sent to A
 *    (alternating).
 *
 * With `--profile`: instead, one Tollgate under `node --cpu-prof` at saturation for `--duration` s
 * after a warm-up, and its top 20 functions by self time over the loaded window.
 */

const CALLER_KEY = 'sk-bench-mcp';
const SESSION_KEY = 'bench-mcp-session-key-0123456789abcdef';
const PROTOCOL = '2025-06-18';
/** Sequential calls made before the timed ones. */
const WARMUP_CALLS = 100;

interface Options {
  connections: number;
  durationS: number;
  samples: number;
  rounds: number;
  profile: boolean;
}

function options(argv: string[]): Options {
  const get = (name: string, fallback: number) => {
    const at = argv.indexOf(`--${name}`);
    const v = at >= 0 ? Number(argv[at + 1]) : fallback;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: a positive number`);
    return v;
  };
  return {
    connections: get('connections', 32),
    durationS: get('duration', 5),
    samples: get('samples', 2000),
    rounds: get('rounds', 3),
    profile: argv.includes('--profile'),
  };
}

const CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'add', arguments: { a: 2, b: 3 } },
});

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

const BASE_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': PROTOCOL,
};

async function main() {
  const opts = options(process.argv.slice(2));
  const upstreamPort = await startChild('mcp server', [path.join(ROOT, 'dist/bench/src/mcp-server.js')], {});
  const upstream = `http://127.0.0.1:${upstreamPort}/mcp`;
  const dir = await manifests(upstream);
  if (opts.profile) return profile(dir, opts);
  const [procA, procB] = await Promise.all([
    startTollgate({ configDir: dir }),
    startTollgate({ configDir: dir }),
  ]);
  const [a, b] = [procA, procB].map((p) => `http://127.0.0.1:${p.port}`) as [string, string];
  const session = await initialize(a);
  const direct: Target = { name: 'direct', url: upstream, headers: BASE_HEADERS };
  const viaA: Target = { name: 'tollgate', url: `${a}/bench/mcp`, headers: gatewayHeaders(session) };
  const viaB: Target = {
    name: 'tollgate (other replica)',
    url: `${b}/bench/mcp`,
    headers: gatewayHeaders(session),
  };
  for (const t of [direct, viaA, viaB]) await check(t);

  // Warm-up (both replicas: the other replica's figure is about the session, not a cold JIT),
  // then the measured runs, direct and through Tollgate in alternation.
  for (const t of [direct, viaA, viaB]) await saturate(t, { ...opts, durationS: 1 });
  const rounds: { direct: number; gateway: number; cpuUs: number }[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const rpsDirect = (await saturate(direct, opts)).rps;
    const cpuBefore = await readCpuMs(procA.pid);
    const { rps, total } = await saturate(viaA, opts);
    rounds.push({
      direct: rpsDirect,
      gateway: rps,
      cpuUs: ((await readCpuMs(procA.pid)) - cpuBefore) * (1000 / total),
    });
  }
  const ratios = rounds.map((r) => ratio(r.gateway, r.direct));
  const median = (values: number[]) => percentile(values, 50);
  const cpuBeforeSeq = await readCpuMs(procA.pid);
  const [p50Direct, p50Gateway] = await sequentialP50s(direct, viaA, opts.samples);
  const cpuPerSequentialCallUs =
    ((await readCpuMs(procA.pid)) - cpuBeforeSeq) * (1000 / (opts.samples + WARMUP_CALLS));
  const [p50Own, p50Other] = await sequentialP50s(viaA, viaB, opts.samples);

  const rows = [
    ['req/s at saturation, direct (median round)', median(rounds.map((r) => r.direct)).toFixed(0)],
    ['req/s at saturation, through Tollgate (median round)', median(rounds.map((r) => r.gateway)).toFixed(0)],
    [
      'ratio, median round (target ≥ 0.7)',
      `${median(ratios).toFixed(2)} (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')})`,
    ],
    ['Tollgate CPU per call at saturation (µs, median round)', median(rounds.map((r) => r.cpuUs)).toFixed(0)],
    ['p50 at 1 connection, direct (ms)', p50Direct.toFixed(3)],
    ['p50 at 1 connection, through Tollgate (ms)', p50Gateway.toFixed(3)],
    ['p50 added (ms, target ≤ 1)', (p50Gateway - p50Direct).toFixed(3)],
    ['Tollgate CPU per call at 1 connection (µs)', cpuPerSequentialCallUs.toFixed(0)],
    ['p50, session on its own replica (ms)', p50Own.toFixed(3)],
    ['p50, session continued on another replica (ms)', p50Other.toFixed(3)],
    ['other replica − own (ms, target ≤ 1)', (p50Other - p50Own).toFixed(3)],
  ];
  const width = Math.max(...rows.map(([k]) => (k ?? '').length));
  console.log(
    `MCP tools/call (${opts.rounds} rounds of ${opts.connections} connections × ${opts.durationS}s; ${opts.samples} sequential calls per target, targets in alternation)`,
  );
  for (const [k, v] of rows) console.log(`  ${(k ?? '').padEnd(width)}  ${v}`);
}

async function profile(configDir: string, opts: Options): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-prof-mcp-'));
  try {
    const proc = await startTollgate({ configDir, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
    const base = `http://127.0.0.1:${proc.port}`;
    const t: Target = {
      name: 'tollgate',
      url: `${base}/bench/mcp`,
      headers: gatewayHeaders(await initialize(base)),
    };
    await check(t);
    await saturate(t, { ...opts, durationS: 1 });
    const fromUs = nowUs();
    const { rps } = await saturate(t, opts);
    const toUs = nowUs();
    await proc.stop();
    const p = await readProfile(dir, fromUs, toUs);
    console.log(
      `CPU profile of tollgate under MCP tools/call at ${opts.connections} connections (${rps.toFixed(0)} req/s), ` +
        `${p.windowed ? 'loaded window only' : 'whole process life (window not found)'}, top 20 by self time:\n`,
    );
    console.log(formatSelfTime(p.summary));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function gatewayHeaders(session: string): Record<string, string> {
  return {
    ...BASE_HEADERS,
    'x-ag-gateway-slug': 'bench',
    'x-ag-api-key': CALLER_KEY,
    'mcp-session-id': session,
  };
}

async function initialize(base: string): Promise<string> {
  const res = await fetch(`${base}/bench/mcp`, {
    method: 'POST',
    headers: { ...BASE_HEADERS, 'x-ag-gateway-slug': 'bench', 'x-ag-api-key': CALLER_KEY },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
    }),
  });
  const session = res.headers.get('mcp-session-id');
  if (!res.ok || !session) throw new Error(`initialize failed: HTTP ${res.status} ${await res.text()}`);
  return session;
}

/** One call must answer 5 before anything is measured. */
async function check(t: Target): Promise<void> {
  const res = await fetch(t.url, { method: 'POST', headers: t.headers, body: CALL });
  const text = await res.text();
  if (!res.ok || !text.includes('"text":"5"'))
    throw new Error(`${t.name}: HTTP ${res.status} ${text.slice(0, 300)}`);
}

/** req/s on average and calls answered in all. */
async function saturate(t: Target, opts: Options): Promise<{ rps: number; total: number }> {
  const result = await autocannon({
    url: t.url,
    method: 'POST',
    headers: t.headers,
    body: CALL,
    connections: opts.connections,
    duration: opts.durationS,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${t.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors under load`);
  return { rps: result.requests.average, total: result.requests.total };
}

/** p50 of `samples` sequential calls to each target, one connection each, the targets' calls alternating. */
async function sequentialP50s(a: Target, b: Target, samples: number): Promise<[number, number]> {
  const targets = [a, b];
  const agents = targets.map(() => new Agent({ connections: 1 }));
  const times = targets.map((): number[] => []);
  try {
    for (let i = 0; i < samples + WARMUP_CALLS; i++) {
      for (const [k, t] of targets.entries()) {
        const start = performance.now();
        const res = await request(t.url, {
          method: 'POST',
          headers: t.headers,
          body: CALL,
          dispatcher: agents[k],
        });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`${t.name}: HTTP ${res.statusCode}`);
        if (i >= WARMUP_CALLS) times[k]?.push(performance.now() - start);
      }
    }
  } finally {
    await Promise.all(agents.map((a) => a.close()));
  }
  return [percentile(times[0] ?? [], 50), percentile(times[1] ?? [], 50)];
}

async function manifests(upstream: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-bench-mcp-'));
  await writeFile(
    path.join(dir, 'bench.yaml'),
    `apiVersion: v1
kind: Secret
metadata: {name: bench}
stringData: {caller: ${CALLER_KEY}, session: ${SESSION_KEY}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: bench}
spec:
  slug: bench
  mcp: {sessionKeys: [{id: b1, secretRef: {name: bench, key: session}}]}
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: tools}
spec: {provider: mcp, mcp: {url: "${upstream}"}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: bench}
spec:
  gatewayRef: {name: bench}
  slug: bench
  credentials: {apiKeys: [{secretRef: {name: bench, key: caller}}]}
  mcp: {servers: [{registryRef: {name: tools}}]}
`,
  );
  return dir;
}

main()
  .then(killChildren)
  .catch((err: unknown) => {
    console.error(err);
    killChildren();
    process.exitCode = 1;
  });
