import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import path from 'node:path';
import { startWeatherServer, type TestMcpServer } from '@tollgate/dataplane/testing/mcp-servers';
import { eventually, ROOT, startTollgate, type RunningTollgate } from '../process';
import { startTestCluster, type TestCluster } from './apiserver';

/**
 * The MCP gateway on a real API server: an MCP Registry, a Gateway with a session-key Secret and
 * a Consumer with spec.mcp applied with kubectl, Programmed=True once both proxies acknowledged
 * them, then the official SDK client through a dataplane — and a session initialized on one
 * dataplane continued on the other (no shared store, no stickiness; the server sees one session).
 */
let cluster: TestCluster;
let weather: TestMcpServer;
const started: RunningTollgate[] = [];
const proxies: RunningTollgate[] = [];
const clients: Client[] = [];
const KEY = 'sk-kubectl-mcp';

const kubectl = (args: string[], input?: string) => cluster.kubectl(args, input);

const manifests = (url: string) => `apiVersion: v1
kind: Secret
metadata:
  name: mcp
stringData:
  session: kubectl-mcp-session-key-0123456789abcdef
  key: ${KEY}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata:
  name: agents
spec:
  slug: agents
  mcp:
    sessionKeys:
      - id: k1
        secretRef:
          name: mcp
          key: session
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata:
  name: weather
spec:
  provider: mcp
  mcp:
    url: ${url}
---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata:
  name: agent
spec:
  gatewayRef:
    name: agents
  slug: agent
  credentials:
    apiKeys:
      - secretRef:
          name: mcp
          key: key
  mcp:
    servers:
      - registryRef:
          name: weather
        prefix: weather
    tools:
      deny: ['weather_delete_*']
`;

type Obj = { status?: { conditions?: { type: string; status: string }[] } };

beforeAll(async () => {
  weather = await startWeatherServer();
  cluster = await startTestCluster();
  expect(kubectl(['apply', '-f', path.join(ROOT, 'crds')]).code).toBe(0);
  expect(kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']).code).toBe(0);
  const system = cluster.ns('tollgate-system');
  expect(kubectl(['create', 'namespace', system]).code).toBe(0);
  const controller = await startTollgate(
    [
      '--kubeconfig',
      cluster.kubeconfig,
      '--namespace',
      system,
      '--namespaces',
      cluster.namespace,
      '--host',
      '127.0.0.1',
      '--identity',
      'c1',
      '--insecure',
    ],
    { command: 'controller', timeoutMs: 60_000 },
  );
  started.push(controller);
  for (let i = 0; i < 2; i++) {
    const p = await startTollgate(
      ['--discovery', `127.0.0.1:${controller.port}`, '--node-id', `proxy-${i}`],
      {
        command: 'dataplane',
      },
    );
    started.push(p);
    proxies.push(p);
  }
}, 20 * 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  for (const p of started) await p.stop('SIGKILL');
  await cluster?.stop();
  await weather?.close();
});

function transport(p: RunningTollgate | undefined, sessionId?: string) {
  return new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${p?.port}/agent/mcp`), {
    requestInit: { headers: { 'x-ag-gateway-slug': 'agents', authorization: `Bearer ${KEY}` } },
    ...(sessionId !== undefined ? { sessionId } : {}),
  });
}

describe('MCP through dataplanes behind the controller', () => {
  it('kubectl apply: the MCP Registry, Gateway and Consumer become Programmed=True', async () => {
    const applied = kubectl(['apply', '--validate=strict', '-f', '-'], manifests(weather.url));
    expect(applied.err).toBe('');
    expect(applied.code).toBe(0);
    for (const ref of ['gateway/agents', 'registry/weather', 'consumer/agent']) {
      await eventually(() => {
        const r = kubectl(['get', ref, '-o', 'json']);
        const o = JSON.parse(r.out) as Obj;
        return o.status?.conditions?.find((c) => c.type === 'Programmed')?.status === 'True';
      }, 30_000);
    }
  }, 60_000);

  it('the SDK client lists and calls tools through a dataplane', async () => {
    const client = new Client({ name: 'k8s-e2e', version: '1.0.0' });
    clients.push(client);
    await client.connect(transport(proxies[0]));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('weather_get_forecast');
    expect(tools.map((t) => t.name)).not.toContain('weather_delete_city');
    const result = await client.callTool({ name: 'weather_get_forecast', arguments: { city: 'Kyiv' } });
    expect(result.content).toEqual([{ type: 'text', text: 'Sunny in Kyiv' }]);
  }, 30_000);

  it('a session initialized on one dataplane continues on the other; the server sees one session', async () => {
    const first = transport(proxies[0]);
    const a = new Client({ name: 'k8s-e2e-a', version: '1.0.0' });
    clients.push(a);
    const initializesBefore = weather.initializes;
    await a.connect(first);
    const sessionId = first.sessionId ?? '';
    expect(sessionId).not.toBe('');
    expect(weather.initializes).toBe(initializesBefore + 1);
    const idsBefore = new Set(weather.sessionIds);

    const b = new Client({ name: 'k8s-e2e-b', version: '1.0.0' });
    clients.push(b);
    const second = transport(proxies[1], sessionId);
    await b.connect(second);
    expect(second.sessionId).toBe(sessionId);
    const result = await b.callTool({ name: 'weather_get_forecast', arguments: { city: 'Lviv' } });
    expect(result.content).toEqual([{ type: 'text', text: 'Sunny in Lviv' }]);
    expect(weather.initializes).toBe(initializesBefore + 1);
    // The call on the other dataplane carried the session the first one opened: no new one.
    expect([...weather.sessionIds].filter((id) => !idsBefore.has(id))).toEqual([]);
  }, 30_000);
});
