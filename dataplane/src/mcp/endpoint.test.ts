import { randomBytes } from 'node:crypto';
import { ConfigStore } from '../config/store';
import { createProxy } from '../proxy/app';
import { createLogger } from '../telemetry/logger';
import { createMetrics } from '../telemetry/metrics';
import { startFilesServer, type TestMcpServer } from '../testing/mcp-servers';
import { proxyClient, type ProxyClient } from '../testing/proxy-client';
import { consumer, gateway, registry } from '../testing/resources';

/**
 * The endpoint through a proxy of its own (`createProxy`'s listener, driven by `proxyClient`): the
 * HANDOFFS entry the dataplane serves (covered end to end in e2e/mcp.test.ts), and a pagination
 * cursor that names each server's own cursor.
 */
let files: TestMcpServer;
let app: ProxyClient;
const metrics = createMetrics({ defaultMetrics: false });

beforeAll(async () => {
  files = await startFilesServer();
  const store = new ConfigStore();
  store.replaceAll([
    gateway('agents', {
      mcp: {
        sessionKeys: [{ id: 'k', key: randomBytes(32).toString('base64') }],
        sessionTtlMs: 60_000,
        idleTimeoutMs: 60_000,
      },
    }),
    registry('files', {
      provider: 'mcp',
      baseUrl: '',
      mcp: { transport: 'StreamableHTTP', url: files.url, headers: {} },
    }),
    consumer('app', 'agents', ['sk-app'], [], {
      mcp: {
        servers: [{ registry: 'default/files', prefix: 'fs' }],
        tools: { allow: ['fs_read_*'], deny: [] },
        prompts: { allow: [], deny: [] },
        resources: { allow: [], deny: [] },
        exposeAs: {},
        requireApproval: [],
        onServerDown: 'FailOpen',
      },
    }),
  ]);
  store.markSynced();
  app = proxyClient(
    createProxy({
      store,
      adapters: {},
      metrics,
      logger: createLogger({ level: 'silent' }),
    }).listener,
  );
});

afterAll(async () => {
  await app.close();
  await files.close();
});

const post = (body: unknown, session?: string) =>
  app.request('/app/mcp', {
    method: 'POST',
    headers: {
      'x-ag-gateway-slug': 'agents',
      authorization: 'Bearer sk-app',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body: JSON.stringify(body),
  });

describe("MCP endpoint on the proxy's listener", () => {
  it('initializes, lists filtered tools with the prefix, and calls one', async () => {
    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    expect(init.status).toBe(200);
    const session = init.headers.get('mcp-session-id') ?? '';
    expect(await init.json()).toMatchObject({ id: 1, result: { protocolVersion: '2025-06-18' } });

    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status).toBe(202);
    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, session);
    expect(await list.json()).toMatchObject({ id: 2, result: { tools: [{ name: 'fs_read_file' }] } });

    // Without text/event-stream in Accept, a streamed upstream answer is collected into JSON.
    const call = await app.request('/app/mcp', {
      method: 'POST',
      headers: {
        'x-ag-gateway-slug': 'agents',
        authorization: 'Bearer sk-app',
        'content-type': 'application/json',
        accept: 'application/json',
        'mcp-session-id': session,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'fs_read_file', arguments: { path: 'a' } },
      }),
    });
    expect(await call.json()).toEqual({
      jsonrpc: '2.0',
      id: 3,
      result: { content: [{ type: 'text', text: 'contents of a' }] },
    });
  });

  it('refuses a cursor it did not make, as invalid params', async () => {
    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const session = init.headers.get('mcp-session-id') ?? '';
    const res = await post(
      { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { cursor: 'garbage' } },
      session,
    );
    expect(await res.json()).toMatchObject({ id: 4, error: { code: -32602, message: 'Invalid cursor' } });
  });

  it('answers an unknown method with method-not-found', async () => {
    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const session = init.headers.get('mcp-session-id') ?? '';
    const res = await post({ jsonrpc: '2.0', id: 5, method: 'tasks/list', params: {} }, session);
    expect(await res.json()).toMatchObject({ id: 5, error: { code: -32601 } });
  });

  it('counts MCP messages by method and result, unknown methods as other', async () => {
    const text = await metrics.registry.getSingleMetricAsString('tollgate_mcp_requests_total');
    expect(text).toContain('gateway="agents",consumer="app",server="",method="tools/list",result="ok"} ');
    expect(text).toContain('method="other",result="error"} 1');
    expect(text).toContain('consumer="app",server="default/files",method="tools/call",result="ok"} 1');
    expect(text).not.toContain('tasks/list');
  });
});
