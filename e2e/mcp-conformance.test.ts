import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startConformanceServer } from '@tollgate/dataplane/testing/conformance-server';
import type { TestMcpServer } from '@tollgate/dataplane/testing/mcp-servers';
import { mcpGatewayYaml, mcpRegistryYaml } from './mcp-harness';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance server`, Node 22,
 * installed once into ~/.cache by e2e/mcp-conformance/install.sh) against a server written to
 * pass it — directly, then through Tollgate (standalone, one consumer, names unchanged). Every
 * scenario that passes directly must pass through the gateway, except those listed below.
 * Cost: the 32 server scenarios twice, about 8 s once installed (the first install: ~15 s).
 */
jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '..');
const KEY = 'key-conformance';

/**
 * Scenarios allowed to pass directly and fail through the gateway, with the reason: none today.
 * (Not compared, because the server does not pass them directly: server-sse-polling, pending in
 * the suite, whose test_reconnection tool needs a resumable event store, and
 * dns-rebinding-protection, which the SDK's transport leaves off by default — through the gateway
 * it could not pass anyway: its raw requests carry no consumer key.)
 */
const EXCEPTIONS: Record<string, string> = {};

let server: TestMcpServer;
let gw: InProcessTollgate;
let suite: { node: string; cli: string };

beforeAll(async () => {
  const installed = spawnSync('bash', [path.join(ROOT, 'e2e/mcp-conformance/install.sh')], {
    encoding: 'utf8',
  });
  if (installed.status !== 0)
    throw new Error(`installing the conformance suite failed:\n${installed.stderr}`);
  const [node, cli] = installed.stdout.trim().split('\n');
  suite = { node: node ?? '', cli: cli ?? '' };
  server = await startConformanceServer();
  gw =
    await standaloneOn(`${mcpGatewayYaml('conformance-session-key-0123456789abcdef', `key: ${KEY}`)}${mcpRegistryYaml('conformance', server.url)}---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: conf}
spec:
  gatewayRef: {name: agents}
  slug: conf
  credentials: {apiKeys: [{secretRef: {name: mcp, key: key}}]}
  mcp:
    servers: [{registryRef: {name: conformance}}]
`);
});

afterAll(async () => {
  await gw?.stop();
  await server?.close();
});

/** Runs every server scenario (active and pending) against `url`; scenario → passed. */
function runSuite(url: string, headers: Record<string, string> = {}): Promise<Map<string, boolean>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      suite.node,
      [
        '--import',
        path.join(ROOT, 'e2e/mcp-conformance/headers.mjs'),
        suite.cli,
        'server',
        '--suite',
        'all',
        '--url',
        url,
      ],
      {
        cwd: path.dirname(suite.cli),
        env: { ...process.env, TOLLGATE_CONFORMANCE_HEADERS: JSON.stringify(headers) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // Bounded: a suite that hangs is killed, and the test fails with what it printed.
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const summary = out.slice(out.indexOf('=== SUMMARY ==='));
      const results = new Map<string, boolean>();
      for (const m of summary.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed$/gmu))
        results.set(m[2] ?? '', m[1] === '✓');
      if (results.size === 0)
        reject(new Error(`no summary from the conformance suite:\n${out.slice(-4000)}`));
      else resolve(results);
    });
  });
}

it('passes through Tollgate every scenario the server passes directly', async () => {
  const direct = await runSuite(server.url);
  const passing = [...direct].filter(([, ok]) => ok).map(([s]) => s);
  // The server is written to pass the suite: most scenarios must pass directly for the comparison to mean anything.
  expect(passing.length).toBeGreaterThanOrEqual(30);

  const through = await runSuite(`${gw.base}/conf/mcp`, {
    'x-ag-gateway-slug': 'agents',
    'x-ag-api-key': KEY,
  });
  const regressions = passing.filter((s) => through.get(s) !== true && !(s in EXCEPTIONS));
  expect(regressions).toEqual([]);
  // An exception that passes after all is stale: remove it from the list.
  const stale = Object.keys(EXCEPTIONS).filter((s) => through.get(s) === true || direct.get(s) !== true);
  expect(stale).toEqual([]);
});
