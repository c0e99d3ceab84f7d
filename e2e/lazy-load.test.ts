import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { everythingServer } from '@tollgate/dataplane/testing/everything';
import { startTestRedis } from '@tollgate/dataplane/testing/redis-server';
import { peakRssBytes, rssBytes } from './hardening';
import { closeClients, connectMcp, mcpGatewayYaml, mcpHeaders } from './mcp-harness';
import { CLI, eventually, startTollgate, type RunningTollgate } from './process';

/**
 * Issue 15, item 5 (memory): a process loads what its command and config use, and the rest at
 * first use. Against the built CLI (`npm run build` first), started through a small entry that
 * records every module `require` resolves (Module._load) and writes their paths to a file on
 * SIGUSR2, then runs the CLI's `main` as `tollgate.js` itself does.
 */

/** Packages a proxy that does not use them must not load, and what uses each. */
const UNUSED_BY_QUICKSTART = [
  '@kubernetes/client-node', // the controller's API server client
  '@grpc/grpc-js', // the discovery stream of `tollgate dataplane`
  '@grpc/proto-loader',
  'kafkajs', // telemetry exporters
  'ioredis', // --redis-url
  '@modelcontextprotocol/sdk', // the MCP endpoint and stdio servers
  'zod',
  'jose', // MCP OAuth, Vertex service-account tokens
  'hnswlib-node', // the semantic cache's index
  '@smithy/signature-v4', // Bedrock: SigV4 and the event-stream codec
  '@smithy/eventstream-codec',
  '@aws-crypto/sha256-js',
  'pino-pretty', // logs on a terminal
];

/** The compile: `tollgate dataplane` receives compiled resources and never needs it. */
const COMPILE_ONLY = ['yaml', '@marcbachmann/cel-js', 'ajv-formats'];

/**
 * The package of a loaded file (`@scope/name` or `name`), or for our own code its path from the build
 * folder: `dist/cli/...` (the CLI) or `controller/dist/...` (a workspace package's build).
 */
function moduleOf(file: string): string {
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  if (pkg) return pkg[1] as string;
  const own = /\/((?:protocol|controller|dataplane)\/)?dist\/(.*)$/.exec(file);
  return own ? `${own[1] ?? ''}dist/${own[2]}` : file;
}

interface Traced {
  tg: RunningTollgate;
  /** The packages (and dist/ files) the process has loaded so far. */
  loaded(): Promise<Set<string>>;
  /** What it has loaded so far: every file `require` resolved, and Node's own modules (process.moduleLoadList). */
  dump(): Promise<{ files: string[]; builtins: string[] }>;
}

/**
 * Node's internal copy of undici: fetch, Headers, Request, Response and the web streams, loaded by
 * the first touch of one of those globals (as a web framework's fetch-style handlers do, and the npm
 * undici's entry). The proxy's upstreams use the npm undici's own modules (providers/undici.ts).
 */
const NODE_INTERNAL_UNDICI = 'NativeModule internal/deps/undici/undici';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-lazy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let started: RunningTollgate[] = [];
afterEach(async () => {
  await Promise.all(started.map((t) => t.stop()));
  started = [];
});

async function traced(name: string, args: string[], command: 'run' | 'dataplane' = 'run'): Promise<Traced> {
  const out = path.join(dir, `${name}.json`);
  const entry = path.join(dir, `${name}.js`);
  await writeFile(
    entry,
    `const Module = require('node:module');
const { writeFileSync } = require('node:fs');
const files = new Set();
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const exports = load.apply(this, arguments);
  if (!Module.isBuiltin(request)) files.add(Module._resolveFilename(request, parent, isMain));
  return exports;
};
process.on('SIGUSR2', () =>
  writeFileSync(${JSON.stringify(out)}, JSON.stringify({ files: [...files], builtins: process.moduleLoadList })),
);
require(${JSON.stringify(CLI)})
  .main(process.argv.slice(2))
  .then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
`,
  );
  const tg = await startTollgate(args, { command, cli: entry });
  started.push(tg);
  const dump = async () => {
    await rm(out, { force: true });
    tg.proc.kill('SIGUSR2');
    let text = '';
    await eventually(async () => {
      text = await readFile(out, 'utf8').catch(() => '');
      return text !== '';
    });
    return JSON.parse(text) as { files: string[]; builtins: string[] };
  };
  return {
    tg,
    dump,
    async loaded() {
      return new Set((await dump()).files.map(moduleOf));
    },
  };
}

jest.setTimeout(60_000);

const QUICKSTART_HEADERS = {
  'content-type': 'application/json',
  'x-ag-gateway-slug': 'demo',
  authorization: 'Bearer sk-tollgate-demo-key',
};

/** Until /readyz answers 200: the first config is in and warmed up. */
function ready(tg: RunningTollgate): Promise<void> {
  return eventually(() =>
    fetch(`http://127.0.0.1:${tg.opsPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    ),
  );
}

async function chat(tg: RunningTollgate): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${tg.port}/my-app/v1/chat/completions`, {
    method: 'POST',
    headers: QUICKSTART_HEADERS,
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

it('tollgate run -f examples/quickstart serves without loading what its config does not use', async () => {
  const { tg, loaded } = await traced('quickstart', ['-f', 'examples/quickstart', '--no-watch']);
  expect(await chat(tg)).toBe(200);
  const modules = await loaded();
  // The hook sees what the request path uses…
  for (const used of ['undici', 'pino', 'prom-client', 'yaml']) expect(modules).toContain(used);
  // (and our own packages' builds, by the names the `tollgate dataplane` test below checks)
  for (const own of ['controller/dist/index.js', 'dataplane/dist/index.js']) expect(modules).toContain(own);
  // …and none of what this config and command leave unused.
  expect(UNUSED_BY_QUICKSTART.filter((m) => modules.has(m))).toEqual([]);
});

it("a serving tollgate run keeps one HTTP client stack: neither Node's internal undici nor the npm undici's entry", async () => {
  const { tg, dump } = await traced('one-http-stack', ['-f', 'examples/quickstart', '--no-watch']);
  await ready(tg);
  expect(await chat(tg)).toBe(200);
  // Every endpoint of the ops port, served once
  for (const endpoint of ['/healthz', '/readyz', '/metrics', '/config_dump', '/approvals']) {
    const res = await fetch(`http://127.0.0.1:${tg.opsPort}${endpoint}`);
    await res.arrayBuffer();
    expect(res.status).toBe(200);
  }
  const { files, builtins } = await dump();
  expect(builtins).toContain('NativeModule http');
  expect(builtins).not.toContain(NODE_INTERNAL_UNDICI);
  // The upstreams' pools come from undici's own modules, not from its entry (which loads fetch & co.)
  expect(files.filter((f) => f.endsWith('/node_modules/undici/lib/dispatcher/pool.js'))).toHaveLength(1);
  expect(files.filter((f) => f.endsWith('/node_modules/undici/index.js'))).toEqual([]);
});

it('a Redis URL and the first MCP request load what they need, and work', async () => {
  const everything = everythingServer();
  const config = path.join(dir, 'mcp.yaml');
  await writeFile(
    config,
    `${mcpGatewayYaml('lazy-load-session-key-0123456789abcdef', 'key: key-local')}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: everything}
spec:
  provider: mcp
  mcp: {transport: Stdio, command: ${JSON.stringify(everything.command)}, args: ${JSON.stringify(everything.args)}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: local}
spec:
  gatewayRef: {name: agents}
  slug: local
  credentials: {apiKeys: [{secretRef: {name: mcp, key: key}}]}
  mcp:
    servers: [{registryRef: {name: everything}, prefix: ev}]
`,
  );
  const redis = await startTestRedis();
  const clients: Client[] = [];
  try {
    const { tg, loaded } = await traced('mcp-redis', ['-f', config, '--no-watch', '--redis-url', redis.url]);
    const before = await loaded();
    expect(before).toContain('ioredis');
    expect(before).not.toContain('@modelcontextprotocol/sdk');

    // The SDK's own client, through the gateway to a stdio server the gateway starts on first use.
    const { client } = await connectMcp(clients, `http://127.0.0.1:${tg.port}/local/mcp`, {
      headers: mcpHeaders('local'),
      name: 'lazy-load',
    });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('ev_echo');
    expect(await loaded()).toContain('@modelcontextprotocol/sdk');
  } finally {
    await closeClients(clients);
    await redis.stop();
  }
});

it('tollgate dataplane loads the discovery client but not the compile', async () => {
  // No controller at this address: the proxy starts, listens and keeps reconnecting.
  const { loaded } = await traced('dataplane', ['--discovery', '127.0.0.1:1'], 'dataplane');
  const modules = await loaded();
  expect(modules).toContain('@grpc/grpc-js');
  expect(COMPILE_ONLY.filter((m) => modules.has(m))).toEqual([]);
  expect([...modules].filter((m) => m.startsWith('controller/dist/'))).toEqual([]);
  expect(UNUSED_BY_QUICKSTART.filter((m) => !m.startsWith('@grpc/') && modules.has(m))).toEqual([]);
});

/**
 * Measured on the 2-core CI VM with Node 20 (quickstart): ~74 MB after this test's 20 requests and
 * a peak of ~80 MB by the time /readyz answers (three runs: 73–74 and 79–82 MB); 80 / 83 MB while the
 * ops port was a Hono app and undici was loaded from its entry (both loading Node's internal undici:
 * the test above), ~124 MB after the requests before the unused packages were left unloaded, and
 * 97 / 126 MB before the young generation was held from the CLI's first module, collected after the
 * warm-up and WebAssembly left to Liftoff (cli/src/start-v8.ts, cli/src/young-generation.ts). The
 * bounds have room for noise and catch any of these coming back.
 */
const RSS_BOUND_MB = 85;
const PEAK_BOUND_MB = 95;

it('tollgate run -f examples/quickstart stays within a resident set bound once it has served', async () => {
  const { tg } = await traced('rss', ['-f', 'examples/quickstart', '--no-watch']);
  // Ready once warmed up: the peak so far is the start's, warm-up included.
  await ready(tg);
  expect(await peakRssBytes(tg.proc.pid as number)).toBeLessThan(PEAK_BOUND_MB * 1024 * 1024);
  for (let i = 0; i < 20; i++) expect(await chat(tg)).toBe(200);
  // The figures and their targets (70 MB idle, 120 MB at the start's peak) are the memory benchmark's (bench/README.md).
  expect(await rssBytes(tg.proc.pid as number)).toBeLessThan(RSS_BOUND_MB * 1024 * 1024);
});
