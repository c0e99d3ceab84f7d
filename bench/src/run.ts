import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import {
  formatTable,
  medianRound,
  parseBenchArgs,
  percentile,
  ratio,
  type BenchOptions,
  type Measurement,
} from './report';

/**
 * npm run bench: a mock upstream, a minimal pass-through and Tollgate, each its own process, driven in
 * turn by the same load from this process; figures are reported as ratios against the pass-through
 * and the direct call, measured in the same run on the same machine.
 */
const ROOT = path.resolve(__dirname, '../../..');
const UPSTREAM_KEY = 'sk-bench-upstream';
const CALLER_KEY = 'sk-bench-caller';
const CHAT_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: 'Say something about foxes and dogs.' },
  ],
});

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

interface Scenario {
  body: string;
  run(target: Target, opts: BenchOptions): Promise<Measurement>;
}

const SCENARIOS: Record<string, Scenario> = {
  chat: { body: CHAT_BODY, run: (t, o) => cannon(t, CHAT_BODY, o) },
  'chat-stream': {
    body: JSON.stringify({ ...JSON.parse(CHAT_BODY), stream: true }),
    run: (t, o) => streamLoop(t, JSON.stringify({ ...JSON.parse(CHAT_BODY), stream: true }), o),
  },
};

const children: ChildProcess[] = [];
function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

async function main() {
  const opts = parseBenchArgs(process.argv.slice(2), Object.keys(SCENARIOS));
  const upstreamPort = await startChild('upstream', [path.join(__dirname, 'upstream.js')], {
    BENCH_UPSTREAM_KEY: UPSTREAM_KEY,
  });
  const passPort = await startChild('passthrough', [path.join(__dirname, 'passthrough.js')], {
    BENCH_UPSTREAM_ORIGIN: `http://127.0.0.1:${upstreamPort}`,
    BENCH_UPSTREAM_KEY: UPSTREAM_KEY,
  });
  const tollgatePort = await startTollgate(upstreamPort);

  const targets: Target[] = [
    {
      name: 'direct',
      url: `http://127.0.0.1:${upstreamPort}/v1/chat/completions`,
      headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
    },
    { name: 'passthrough', url: `http://127.0.0.1:${passPort}/v1/chat/completions`, headers: {} },
    {
      name: 'tollgate',
      url: `http://127.0.0.1:${tollgatePort}/bench/v1/chat/completions`,
      headers: { 'x-ag-gateway-slug': 'bench', authorization: `Bearer ${CALLER_KEY}` },
    },
  ];

  const results: Record<string, { rows: Measurement[]; ratios: Record<string, number> }> = {};
  let failed = false;
  for (const name of opts.scenarios) {
    const scenario = SCENARIOS[name] as Scenario;
    for (const t of targets)
      if (opts.warmupSec > 0) await scenario.run(t, { ...opts, durationSec: opts.warmupSec });
    // Rounds interleave the targets so that a slow patch of a shared machine hits them all alike.
    const perTarget = new Map<string, Measurement[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < opts.rounds; round++) {
      for (const t of targets) perTarget.get(t.name)?.push(await scenario.run(t, opts));
    }
    const rows = targets.map((t) => {
      const all = perTarget.get(t.name) ?? [];
      const median = medianRound(all);
      // errors anywhere count, not only in the median round
      return {
        ...median,
        errors: all.reduce((n, r) => n + r.errors, 0),
        non2xx: all.reduce((n, r) => n + r.non2xx, 0),
      };
    });
    const by = (n: string) => rows.find((r) => r.target === n) as Measurement;
    const ratios = {
      'tollgate/passthrough': ratio(by('tollgate').requestsPerSec, by('passthrough').requestsPerSec),
      'tollgate/direct': ratio(by('tollgate').requestsPerSec, by('direct').requestsPerSec),
      'passthrough/direct': ratio(by('passthrough').requestsPerSec, by('direct').requestsPerSec),
    };
    results[name] = { rows, ratios };
    console.log(`\n${formatTable(name, rows)}`);
    console.log(
      Object.entries(ratios)
        .map(([k, v]) => `${k} = ${v}`)
        .join('   '),
    );
    const tg = by('tollgate');
    const direct = by('direct');
    if (tg.ttfbP50Ms !== undefined && direct.ttfbP50Ms !== undefined) {
      console.log(
        `ttfb added by tollgate over direct: p50 ${(tg.ttfbP50Ms - direct.ttfbP50Ms).toFixed(2)} ms`,
      );
    }
    for (const r of rows) {
      if (r.errors + r.non2xx > 0) {
        console.error(`!! ${name}/${r.target}: ${r.errors} errors, ${r.non2xx} non-2xx responses`);
        failed = true;
      }
    }
  }

  const out = path.join(ROOT, 'bench/results');
  await mkdir(out, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    options: opts,
    results,
  };
  await writeFile(path.join(out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten to bench/results/latest.json`);
  cleanup();
  process.exit(failed ? 1 : 0);
}

async function cannon(t: Target, body: string, opts: BenchOptions): Promise<Measurement> {
  const r = await autocannon({
    url: t.url,
    method: 'POST',
    connections: opts.connections,
    duration: opts.durationSec,
    headers: { 'content-type': 'application/json', ...t.headers },
    body,
  });
  return {
    target: t.name,
    requestsPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** Streaming: `connections` loops for the duration, each timing first byte and whole stream. */
async function streamLoop(t: Target, body: string, opts: BenchOptions): Promise<Measurement> {
  const agent = new Agent({ connections: opts.connections, keepAliveTimeout: 30_000 });
  const ttfb: number[] = [];
  const total: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const deadline = performance.now() + opts.durationSec * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const start = performance.now();
      try {
        const res = await request(t.url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', ...t.headers },
          body,
        });
        let first = true;
        for await (const _chunk of res.body) {
          if (first) {
            ttfb.push(performance.now() - start);
            first = false;
          }
        }
        if (res.statusCode >= 300) non2xx++;
        total.push(performance.now() - start);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, loop));
  await agent.close();
  return {
    target: t.name,
    requestsPerSec: total.length / opts.durationSec,
    p50Ms: percentile(total, 50),
    p99Ms: percentile(total, 99),
    ttfbP50Ms: percentile(ttfb, 50),
    ttfbP99Ms: percentile(ttfb, 99),
    requests: total.length,
    errors,
    non2xx,
  };
}

function startChild(name: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT=(\d+)/.exec(out);
      if (m) {
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Tollgate as a user runs it, logging at info to a discarded stdout: auth, routing, metrics and logs on. */
async function startTollgate(upstreamPort: number): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-bench-'));
  await writeFile(
    path.join(dir, 'bench.yaml'),
    `apiVersion: v1
kind: Secret
metadata: {name: bench}
stringData: {upstream: ${UPSTREAM_KEY}, caller: ${CALLER_KEY}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: bench}
spec: {slug: bench}
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: upstream}
spec:
  provider: openai-compatible
  baseUrl: http://127.0.0.1:${upstreamPort}/v1
  credentials: {secretRef: {name: bench, key: upstream}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: bench}
spec:
  gatewayRef: {name: bench}
  slug: bench
  credentials: {apiKeys: [{secretRef: {name: bench, key: caller}}]}
  routes: [{model: gpt-4o-mini, targets: [{registryRef: {name: upstream}}]}]
`,
  );
  const [port, opsPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'dist/cli/src/tollgate.js'),
      'run',
      '-f',
      dir,
      '--port',
      String(port),
      '--ops-port',
      String(opsPort),
      '--no-watch',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(child);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${opsPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return port;
    if (child.exitCode !== null) throw new Error(`tollgate exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('tollgate did not become ready in 15 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  cleanup();
  process.exit(1);
});
