import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { redisServerAvailable, startTestRedis } from '../../dataplane/src/testing/redis-server';
import { answerProblem, firstTokenProbe, type AnswerFormat } from './first-token';
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
 * and the direct call, and for the translated path (Anthropic Messages in, OpenAI out) against the
 * native one, measured in the same run on the same machine.
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
/** The same conversation as Anthropic's Messages API takes it (the system prompt is a top-level field). */
const MESSAGES_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  max_tokens: 256,
  system: 'You are a terse assistant.',
  messages: [{ role: 'user', content: 'Say something about foxes and dogs.' }],
});
/**
 * The policy set a governed consumer typically has — CORS, size, request and token limits, a budget
 * and a prompt guard — with limits high enough never to refuse during a run: the cost measured is the
 * checking, counting and scanning, not refusals. (The semantic cache is left out: its hits would make
 * the governed path look faster than it is.)
 */
const GOVERNING_POLICY = `apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: governed}
spec:
  targetRefs: [{kind: Consumer, name: governed}]
  plugins:
    cors: {allowOrigins: ['https://app.example.com']}
    requestSize: {maxBodyBytes: 65536, maxMessages: 64}
    rateLimit: {requests: 100000000, window: 1m}
    tokenRateLimit: {tokens: 1000000000, window: 1m, estimatePrompt: true}
    budget:
      amountUSD: '1000000'
      period: Month
      prices: [{model: gpt-4o-mini, inputPerMTok: '0.15', outputPerMTok: '0.6', cachedInputPerMTok: '0.075'}]
    promptGuard:
      action: Mask
      detectors: [Email, Phone, CreditCard, SSN, IBAN]`;
const streaming = (body: string) => JSON.stringify({ ...JSON.parse(body), stream: true });

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** What it answers in: how its answer is checked and its first token found. */
  format: AnswerFormat;
  /** Response headers that prove the target does what it is meant to measure (its policies ran). */
  expectHeaders?: string[];
}

/** Where each target lives once the processes are up. */
interface Ports {
  upstream: number;
  passthrough: number;
  tollgate: number;
}

interface Summary {
  ratios: Record<string, number>;
  /** Printed under the ratios. */
  lines: string[];
  /** Extra figures for latest.json. */
  extra?: Record<string, unknown>;
}

interface Scenario {
  targets(ports: Ports): Target[];
  stream: boolean;
  /** Time the first token too (streaming only): parses the events up to it. */
  ttft?: boolean;
  summarize(by: (target: string) => Measurement): Summary;
}

const direct = (p: Ports, body: string): Target => ({
  name: 'direct',
  url: `http://127.0.0.1:${p.upstream}/v1/chat/completions`,
  headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
  body,
  format: 'openai-chat',
});
const passthrough = (p: Ports, body: string): Target => ({
  name: 'passthrough',
  url: `http://127.0.0.1:${p.passthrough}/v1/chat/completions`,
  headers: {},
  body,
  format: 'openai-chat',
});
/** The native path: OpenAI's format in, an OpenAI-wire upstream out. */
const tollgate = (p: Ports, body: string, name = 'tollgate'): Target => ({
  name,
  url: `http://127.0.0.1:${p.tollgate}/bench/v1/chat/completions`,
  headers: { 'x-ag-gateway-slug': 'bench', authorization: `Bearer ${CALLER_KEY}` },
  body,
  format: 'openai-chat',
});
/** The translated path: Anthropic's Messages API in, as its SDK sends it, to the same OpenAI-wire upstream. */
const translated = (p: Ports, body: string): Target => ({
  name: 'translated',
  url: `http://127.0.0.1:${p.tollgate}/bench/v1/messages`,
  headers: { 'x-ag-gateway-slug': 'bench', 'x-api-key': CALLER_KEY, 'anthropic-version': '2023-06-01' },
  body,
  format: 'anthropic-messages',
});

/** The same native path for the consumer that every policy plugin of the bench config governs. */
const governed = (p: Ports, body: string): Target => ({
  ...tollgate(p, body, 'policies'),
  url: `http://127.0.0.1:${p.tollgate}/governed/v1/chat/completions`,
  headers: {
    'x-ag-gateway-slug': 'bench',
    authorization: `Bearer ${CALLER_KEY}`,
    origin: 'https://app.example.com',
  },
  // One header per plugin: a Policy that compile refused would leave the path plain.
  expectHeaders: [
    'access-control-allow-origin',
    'x-ratelimit-remaining',
    'x-ratelimit-remaining-tokens',
    'x-tollgate-budget-remaining-usd',
  ],
});

/** The skeleton's figures: tollgate against the pass-through and the direct call. */
function proxyRatios(by: (target: string) => Measurement): Summary {
  const ratios = {
    'tollgate/passthrough': ratio(by('tollgate').requestsPerSec, by('passthrough').requestsPerSec),
    'tollgate/direct': ratio(by('tollgate').requestsPerSec, by('direct').requestsPerSec),
    'passthrough/direct': ratio(by('passthrough').requestsPerSec, by('direct').requestsPerSec),
  };
  const tg = by('tollgate');
  const d = by('direct');
  const lines =
    tg.ttfbP50Ms !== undefined && d.ttfbP50Ms !== undefined
      ? [`ttfb added by tollgate over direct: p50 ${(tg.ttfbP50Ms - d.ttfbP50Ms).toFixed(2)} ms`]
      : [];
  return { ratios, lines };
}

const ms = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)} ms`;

const SCENARIOS: Record<string, Scenario> = {
  chat: {
    targets: (p) => [direct(p, CHAT_BODY), passthrough(p, CHAT_BODY), tollgate(p, CHAT_BODY)],
    stream: false,
    summarize: proxyRatios,
  },
  'chat-stream': {
    targets: (p) => {
      const body = streaming(CHAT_BODY);
      return [direct(p, body), passthrough(p, body), tollgate(p, body)];
    },
    stream: true,
    summarize: proxyRatios,
  },
  /** Anthropic client → OpenAI upstream against the native path, interleaved in the same rounds. */
  messages: {
    targets: (p) => [tollgate(p, CHAT_BODY, 'native'), translated(p, MESSAGES_BODY)],
    stream: false,
    summarize: (by) => ({
      ratios: { 'translated/native': ratio(by('translated').requestsPerSec, by('native').requestsPerSec) },
      lines: [],
    }),
  },
  /** The plain native path against the same path with the full policy set on (Redis-backed when available). */
  policies: {
    targets: (p) => [tollgate(p, CHAT_BODY, 'plain'), governed(p, CHAT_BODY)],
    stream: false,
    summarize: (by) => ({
      ratios: { 'policies/plain': ratio(by('policies').requestsPerSec, by('plain').requestsPerSec) },
      lines: [],
    }),
  },
  /** Time to first token over the direct call: native and translated streams, same rounds. */
  'messages-stream': {
    targets: (p) => [
      direct(p, streaming(CHAT_BODY)),
      tollgate(p, streaming(CHAT_BODY), 'native'),
      translated(p, streaming(MESSAGES_BODY)),
    ],
    stream: true,
    ttft: true,
    summarize: (by) => {
      const d = by('direct');
      const added = (t: Measurement) => ({
        p50: (t.ttftP50Ms ?? NaN) - (d.ttftP50Ms ?? NaN),
        p99: (t.ttftP99Ms ?? NaN) - (d.ttftP99Ms ?? NaN),
      });
      const native = added(by('native'));
      const trans = added(by('translated'));
      const over = { p50: trans.p50 - native.p50, p99: trans.p99 - native.p99 };
      return {
        ratios: {
          'translated/native': ratio(by('translated').requestsPerSec, by('native').requestsPerSec),
          'native/direct': ratio(by('native').requestsPerSec, d.requestsPerSec),
          'translated/direct': ratio(by('translated').requestsPerSec, d.requestsPerSec),
        },
        lines: [
          `ttft added over direct: native p50 ${ms(native.p50)}, p99 ${ms(native.p99)}   ` +
            `translated p50 ${ms(trans.p50)}, p99 ${ms(trans.p99)}`,
          `ttft added by translation over native: p50 ${ms(over.p50)}, p99 ${ms(over.p99)}`,
        ],
        extra: { ttftAddedMs: { native, translated: trans, translatedOverNative: over } },
      };
    },
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
    BENCH_CHUNK_DELAY_MS: String(opts.chunkDelayMs),
  });
  const passPort = await startChild('passthrough', [path.join(__dirname, 'passthrough.js')], {
    BENCH_UPSTREAM_ORIGIN: `http://127.0.0.1:${upstreamPort}`,
    BENCH_UPSTREAM_KEY: UPSTREAM_KEY,
  });
  const redis = redisServerAvailable() ? await startTestRedis() : undefined;
  if (!redis) console.warn('redis-server not found: the policies scenario counts in-process');
  const tollgatePort = await startTollgate(upstreamPort, redis?.url);
  const ports: Ports = { upstream: upstreamPort, passthrough: passPort, tollgate: tollgatePort };

  const results: Record<string, { rows: Measurement[]; ratios: Record<string, number> }> = {};
  let failed = false;
  for (const name of opts.scenarios) {
    const scenario = SCENARIOS[name] as Scenario;
    const targets = scenario.targets(ports);
    const run = (t: Target, o: BenchOptions) =>
      scenario.stream ? streamLoop(t, o, scenario.ttft === true) : cannon(t, o);
    // A 200 that is not a completion would be measured as a fast success.
    for (const t of targets) {
      const problem = await check(t, scenario.stream);
      if (problem) throw new Error(`${name}/${t.name} does not answer properly: ${problem}`);
    }
    for (const t of targets) if (opts.warmupSec > 0) await run(t, { ...opts, durationSec: opts.warmupSec });
    // Rounds interleave the targets so that a slow patch of a shared machine hits them all alike.
    const perTarget = new Map<string, Measurement[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < opts.rounds; round++) {
      for (const t of targets) perTarget.get(t.name)?.push(await run(t, opts));
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
    const summary = scenario.summarize(by);
    results[name] = { rows, ratios: summary.ratios, ...summary.extra };
    console.log(`\n${formatTable(name, rows)}`);
    console.log(
      Object.entries(summary.ratios)
        .map(([k, v]) => `${k} = ${v}`)
        .join('   '),
    );
    for (const line of summary.lines) console.log(line);
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
  await redis?.stop();
  cleanup();
  process.exit(failed ? 1 : 0);
}

async function cannon(t: Target, opts: BenchOptions): Promise<Measurement> {
  const r = await autocannon({
    url: t.url,
    method: 'POST',
    connections: opts.connections,
    duration: opts.durationSec,
    headers: { 'content-type': 'application/json', ...t.headers },
    body: t.body,
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

/**
 * Streaming: `connections` loops for the duration, each timing first byte and whole stream, and with
 * `ttft` the first token (see first-token.ts); a 2xx stream that never carries a token is an error.
 */
async function streamLoop(t: Target, opts: BenchOptions, ttft: boolean): Promise<Measurement> {
  const agent = new Agent({ connections: opts.connections, keepAliveTimeout: 30_000 });
  const ttfb: number[] = [];
  const tokens: number[] = [];
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
          body: t.body,
        });
        const probe = ttft ? firstTokenProbe(t.format) : undefined;
        let first = true;
        let token = false;
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          if (first) {
            ttfb.push(performance.now() - start);
            first = false;
          }
          if (probe && !token && probe.push(chunk)) {
            tokens.push(performance.now() - start);
            token = true;
          }
        }
        if (res.statusCode >= 300) non2xx++;
        else if (probe && !token) errors++;
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
    ...(ttft ? { ttftP50Ms: percentile(tokens, 50), ttftP99Ms: percentile(tokens, 99) } : {}),
    requests: total.length,
    errors,
    non2xx,
  };
}

/** One request: why the answer is not a real completion (or stream of one), undefined when it is. */
async function check(t: Target, stream: boolean): Promise<string | undefined> {
  const res = await request(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...t.headers },
    body: t.body,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) return `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
  const missing = (t.expectHeaders ?? []).filter((h) => res.headers[h] === undefined);
  if (missing.length > 0) return `missing response headers ${missing.join(', ')}`;
  if (!stream) return answerProblem(t.format, text);
  return firstTokenProbe(t.format).push(Buffer.from(text)) ? undefined : `no token in ${text.slice(0, 200)}`;
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
async function startTollgate(upstreamPort: number, redisUrl: string | undefined): Promise<number> {
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
---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: governed}
spec:
  gatewayRef: {name: bench}
  slug: governed
  credentials: {apiKeys: [{secretRef: {name: bench, key: caller}}]}
  routes: [{model: gpt-4o-mini, targets: [{registryRef: {name: upstream}}]}]
---
${GOVERNING_POLICY}
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
      ...(redisUrl ? ['--redis-url', redisUrl] : []),
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
