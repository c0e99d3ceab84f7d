import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { sealSession, sessionKeysOf, type SessionClaims } from '@tollgate/dataplane/mcp/session';
import {
  startFilesServer,
  startPagedServer,
  startWeatherServer,
  type TestMcpServer,
} from '@tollgate/dataplane/testing/mcp-servers';
import { closeClients, connectMcp, mcpConsumerHeadYaml, mcpHeaders, mcpRegistryYaml } from './mcp-harness';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * The MCP gateway end to end: the official SDK client against Tollgate (standalone, in-process)
 * fronting real SDK servers over Streamable HTTP — "weather" keeps sessions, "files" is stateless,
 * "flaky" goes down mid-test. Two Tollgate instances on the same manifests are two replicas.
 */
jest.setTimeout(30_000);

const SESSION_SECRET = 'mcp-e2e-session-key-0123456789abcdef';

function manifests(weather: string, files: string, flaky: string, paged: string): string {
  const consumer = (
    name: string,
    servers: string,
    extra = '',
  ) => `${mcpConsumerHeadYaml(name)}    servers: ${servers}
${extra}`;
  return `
apiVersion: v1
kind: Secret
metadata: {name: mcp}
stringData: {session: ${SESSION_SECRET}}
---
apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData:
  {assistant: key-assistant, open: key-open, closed: key-closed, solo: key-solo, ghostly: key-ghostly, hasty: key-hasty, pages: key-pages}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: agents}
spec:
  slug: agents
  mcp: {sessionKeys: [{id: k1, secretRef: {name: mcp, key: session}}], approvals: {timeout: 1s}}
${mcpRegistryYaml('weather', weather)}${mcpRegistryYaml('files', files)}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: flaky}
spec: {provider: mcp, mcp: {url: "${flaky}"}, timeouts: {connect: 1s, request: 2s}}
${mcpRegistryYaml('paged', paged)}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: slow}
spec: {provider: mcp, mcp: {url: "${weather}"}, timeouts: {request: 300ms, idle: 300ms}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: ghost}
spec: {provider: mcp, mcp: {url: "http://127.0.0.1:1/mcp"}, timeouts: {connect: 1s}}
${consumer(
  'assistant',
  '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: files}, prefix: files}]',
  `    tools: {deny: ["*_delete_*"]}
    resources: {deny: ["files+file:///secret*"]}
    exposeAs: [{tool: weather_get_forecast, as: forecast}]
    requireApproval: ["files_write_*"]`,
)}
${consumer('open', '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: flaky}, prefix: flaky}]')}
${consumer(
  'closed',
  '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: flaky}, prefix: flaky}]',
  '    onServerDown: FailClosed',
)}
${consumer('ghostly', '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: ghost}, prefix: ghost}]', '    onServerDown: FailClosed')}
${consumer('solo', '[{registryRef: {name: files}}]')}
${consumer('hasty', '[{registryRef: {name: slow}, prefix: slow}]')}
${consumer('pages', '[{registryRef: {name: paged}, prefix: p}, {registryRef: {name: files}, prefix: files}]')}`;
}

let weather: TestMcpServer;
let files: TestMcpServer;
let flaky: TestMcpServer;
let paged: TestMcpServer;
let replicaA: InProcessTollgate;
let replicaB: InProcessTollgate;
const clients: Client[] = [];

beforeAll(async () => {
  [weather, files, flaky, paged] = await Promise.all([
    startWeatherServer(),
    startFilesServer(),
    startFilesServer('flaky'),
    startPagedServer(),
  ]);
  const yaml = manifests(weather.url, files.url, flaky.url, paged.url);
  [replicaA, replicaB] = await Promise.all([standaloneOn(yaml), standaloneOn(yaml)]);
});

afterAll(async () => {
  await closeClients(clients);
  await Promise.all([replicaA?.stop(), replicaB?.stop()]);
  await Promise.all([weather?.close(), files?.close(), flaky?.close(), paged?.close()]);
});

const headersFor = (consumer: string) => mcpHeaders(consumer);

function transportFor(replica: InProcessTollgate, consumer: string, sessionId?: string) {
  return new StreamableHTTPClientTransport(new URL(`${replica.base}/${consumer}/mcp`), {
    requestInit: { headers: headersFor(consumer) },
    ...(sessionId !== undefined ? { sessionId } : {}),
  });
}

async function connect(
  replica: InProcessTollgate,
  consumer: string,
): Promise<{ client: Client; sessionId: string }> {
  const { client, transport } = await connectMcp(clients, `${replica.base}/${consumer}/mcp`, {
    headers: headersFor(consumer),
  });
  return { client, sessionId: transport.sessionId ?? '' };
}

/** A raw JSON-RPC POST, for what the SDK client never sends. */
async function rawPost(
  replica: InProcessTollgate,
  consumer: string,
  headers: Record<string, string>,
  body: unknown,
) {
  const res = await fetch(`${replica.base}/${consumer}/mcp`, {
    method: 'POST',
    headers: {
      ...headersFor(consumer),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined,
  };
}

const toolsList = { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} };

describe('MCP gateway: one endpoint for two servers', () => {
  it('initializes both servers and merges their capabilities', async () => {
    const { client, sessionId } = await connect(replicaA, 'assistant');
    expect(sessionId).toMatch(/^t1\.k1\./);
    expect(client.getServerVersion()).toMatchObject({ name: 'tollgate' });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, prompts: {}, resources: {} });
  });

  it('lists tools with prefixes, aliases applied and hidden tools left out', async () => {
    const { client } = await connect(replicaA, 'assistant');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'files_read_file',
      'files_write_file',
      'forecast',
      'weather_add_tool',
      'weather_ask_model',
      'weather_ask_user',
      'weather_count_slowly',
      'weather_sleep',
    ]);
    expect(tools.find((t) => t.name === 'files_read_file')?.inputSchema).toMatchObject({
      properties: { path: { type: 'string' } },
    });
  });

  it('calls tools on the owning server with the prefix removed', async () => {
    const { client } = await connect(replicaA, 'assistant');
    const before = files.hits.get('read_file') ?? 0;
    const read = await client.callTool({ name: 'files_read_file', arguments: { path: '/etc/motd' } });
    expect(read.content).toEqual([{ type: 'text', text: 'contents of /etc/motd' }]);
    expect(files.hits.get('read_file')).toBe(before + 1);
    const forecast = await client.callTool({ name: 'forecast', arguments: { city: 'Paris' } });
    expect(forecast.content).toEqual([{ type: 'text', text: 'Sunny in Paris' }]);
  });

  it('relays progress notifications of a streamed call', async () => {
    const { client } = await connect(replicaA, 'assistant');
    const progress: number[] = [];
    const result = await client.callTool({ name: 'weather_count_slowly', arguments: { n: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(result.content).toEqual([{ type: 'text', text: 'counted to 3' }]);
    expect(progress).toEqual([1, 2, 3]);
  });

  it('gets prompts and reads resources through their prefixes', async () => {
    const { client } = await connect(replicaA, 'assistant');
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['weather_daily_brief']);
    const prompt = await client.getPrompt({ name: 'weather_daily_brief', arguments: { city: 'Oslo' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Brief me on Oslo' });

    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual([
      'files+file:///readme.txt',
      'weather+weather://cities/paris',
    ]);
    const read = await client.readResource({ uri: 'weather+weather://cities/paris' });
    expect(read.contents).toEqual([{ uri: 'weather+weather://cities/paris', text: 'Paris: 21C' }]);
  });

  it('lists resource templates with prefixes and reads through them', async () => {
    const { client } = await connect(replicaA, 'assistant');
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['weather+weather://cities/{city}']);
    const read = await client.readResource({ uri: 'weather+weather://cities/rome' });
    expect(read.contents).toEqual([{ uri: 'weather+weather://cities/rome', text: 'rome: 18C' }]);
  });

  it("completes a prompt's argument at the owning server", async () => {
    const { client } = await connect(replicaA, 'assistant');
    const done = await client.complete({
      ref: { type: 'ref/prompt', name: 'weather_daily_brief' },
      argument: { name: 'city', value: 'P' },
    });
    expect(done.completion.values).toEqual(['Paris', 'Prague']);
  });

  it('pages through each server with its own cursor', async () => {
    const { client } = await connect(replicaA, 'pages');
    const seen: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      seen.push(page.tools.map((t) => t.name).sort());
      cursor = page.nextCursor;
    } while (cursor !== undefined && seen.length < 10);
    expect(seen).toEqual([
      ['files_read_file', 'files_write_file', 'p_page_1', 'p_page_2'],
      ['p_page_3', 'p_page_4'],
      ['p_page_5'],
    ]);
  });

  it('passes names unchanged for a single server without a prefix', async () => {
    const { client } = await connect(replicaA, 'solo');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['read_file', 'write_file']);
    const r = await client.callTool({ name: 'write_file', arguments: { path: '/x' } });
    expect(r.content).toEqual([{ type: 'text', text: 'written' }]);
  });

  it('answers ping itself', async () => {
    const { client } = await connect(replicaA, 'assistant');
    await expect(client.ping()).resolves.toEqual({});
  });
});

describe('MCP gateway: requests from a server to the client', () => {
  async function connectAnswering(): Promise<Client> {
    const client = new Client(
      { name: 'e2e', version: '1.0.0' },
      { capabilities: { sampling: {}, elicitation: {} } },
    );
    clients.push(client);
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: 'assistant',
      content: { type: 'text', text: 'hi from the client' },
      model: 'test-model',
    }));
    client.setRequestHandler(ElicitRequestSchema, (req) => ({
      action: 'accept',
      content: { city: req.params.message === 'Which city?' ? 'Lisbon' : '?' },
    }));
    await client.connect(transportFor(replicaA, 'assistant'));
    return client;
  }

  it('relays sampling during a tool call and routes the answer back to the server', async () => {
    const client = await connectAnswering();
    const r = await client.callTool({ name: 'weather_ask_model', arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: 'the model said: hi from the client' }]);
  });

  it('relays elicitation during a tool call', async () => {
    const client = await connectAnswering();
    const r = await client.callTool({ name: 'weather_ask_user', arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: 'accept: Lisbon' }]);
  });
});

describe('MCP gateway: the server-to-client stream (GET)', () => {
  it("delivers a server's unsolicited notification (tools/list_changed) on the client's GET stream", async () => {
    const listener = new Client({ name: 'e2e', version: '1.0.0' });
    clients.push(listener);
    let changed = 0;
    listener.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const getsBefore = weather.gets;
    const transport = transportFor(replicaB, 'assistant');
    await listener.connect(transport);
    const until = async (ok: () => boolean) => {
      const deadline = Date.now() + 3000;
      while (!ok() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    // The SDK client opens its GET stream on its own after initialize; wait until it reached the server.
    await until(() => weather.gets > getsBefore);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The change is caused through the other replica: the stream on replica B still carries it.
    const other = new Client({ name: 'e2e', version: '1.0.0' });
    clients.push(other);
    await other.connect(transportFor(replicaA, 'assistant', transport.sessionId));
    await other.callTool({ name: 'weather_add_tool', arguments: {} });
    await until(() => changed > 0);
    expect(changed).toBeGreaterThan(0);
    const { tools } = await listener.listTools();
    expect(tools.some((t) => t.name.startsWith('weather_added_'))).toBe(true);
  });
});

describe('MCP gateway: cancellation', () => {
  it("forwards the client's cancellation to the servers", async () => {
    const { client } = await connect(replicaA, 'assistant');
    const abort = new AbortController();
    const call = client.callTool({ name: 'weather_sleep', arguments: { ms: 3000 } }, undefined, {
      signal: abort.signal,
    });
    setTimeout(() => abort.abort('changed my mind'), 200);
    await expect(call).rejects.toThrow();
    const deadline = Date.now() + 2000;
    while (!weather.notifications.includes('notifications/cancelled') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(weather.notifications).toContain('notifications/cancelled');
  });
});

describe('MCP gateway: tool RBAC', () => {
  it.each([
    ['a denied tool', 'weather_delete_city', 'delete_city'],
    ['a tool known only by its alias', 'weather_get_forecast', 'get_forecast'],
    ['a tool of no server', 'nobody_nothing', 'nothing'],
  ])('refuses %s with an error and no upstream call', async (_name, tool, upstreamTool) => {
    const { client } = await connect(replicaA, 'assistant');
    const before = weather.hits.get(upstreamTool) ?? 0;
    await expect(client.callTool({ name: tool, arguments: { city: 'x' } })).rejects.toThrow(
      `Unknown tool: ${tool}`,
    );
    expect(weather.hits.get(upstreamTool) ?? 0).toBe(before);
  });

  it('holds a tool that needs approval and, with no decision in time, refuses it without calling it', async () => {
    const { client } = await connect(replicaA, 'assistant');
    const before = files.hits.get('write_file') ?? 0;
    await expect(client.callTool({ name: 'files_write_file', arguments: { path: '/x' } })).rejects.toThrow(
      /was not approved: no decision in time/,
    );
    expect(files.hits.get('write_file') ?? 0).toBe(before);
  });
});

describe('MCP gateway: a server down', () => {
  it('answers a call that outlasts the timeouts with a JSON-RPC timeout error', async () => {
    const { client } = await connect(replicaA, 'hasty');
    await expect(client.callTool({ name: 'slow_sleep', arguments: { ms: 1500 } })).rejects.toThrow(
      /did not answer in time/,
    );
  });

  it('FailClosed refuses initialize when a server is unreachable', async () => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await expect(client.connect(transportFor(replicaA, 'ghostly'))).rejects.toThrow(/unreachable/);
  });

  it('FailOpen serves the others; FailClosed fails the request', async () => {
    const open = await connect(replicaA, 'open');
    const closed = await connect(replicaA, 'closed');
    expect((await open.client.listTools()).tools.map((t) => t.name)).toContain('flaky_read_file');
    await flaky.close();
    const { tools } = await open.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'weather_add_tool',
      'weather_ask_model',
      'weather_ask_user',
      'weather_count_slowly',
      'weather_delete_city',
      'weather_get_forecast',
      'weather_sleep',
    ]);
    await expect(closed.client.listTools()).rejects.toThrow(/flaky/);
    await expect(open.client.callTool({ name: 'flaky_read_file', arguments: { path: '/' } })).rejects.toThrow(
      /flaky/,
    );
  });
});

describe('MCP gateway: session tokens', () => {
  const keyOf = (replica: InProcessTollgate) => {
    const g = replica.tollgate.dataplane.store.current.resources.get('Gateway/default/agents');
    if (g?.kind !== 'Gateway' || !g.body.mcp) throw new Error('no session keys');
    return sessionKeysOf(g.body.mcp.sessionKeys);
  };
  const claims = (consumer: string, issuedAt: number): SessionClaims => ({
    gateway: 'default/agents',
    consumer: `default/${consumer}`,
    protocolVersion: LATEST_PROTOCOL_VERSION,
    issuedAt,
    servers: [],
  });

  it.each([
    ['tampered', (valid: string) => `${valid.slice(0, -4)}${valid.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`],
    ['expired', () => sealSession(claims('assistant', Date.now() - 25 * 3_600_000), keyOf(replicaA)[0]!)],
    [
      'sealed with a foreign key',
      () => sealSession(claims('assistant', Date.now()), { id: 'k1', key: randomBytes(32) }),
    ],
    ['of another consumer', () => sealSession(claims('solo', Date.now()), keyOf(replicaA)[0]!)],
    ['not a token at all', () => 'not-a-session'],
  ])('refuses a token %s with 404', async (_name, make) => {
    const { sessionId } = await connect(replicaA, 'assistant');
    const res = await rawPost(replicaA, 'assistant', { 'mcp-session-id': make(sessionId) }, toolsList);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { message: 'Session not found' } });
  });

  it("refuses one consumer's live session on another consumer's endpoint", async () => {
    const { sessionId } = await connect(replicaA, 'solo');
    const res = await rawPost(replicaA, 'assistant', { 'mcp-session-id': sessionId }, toolsList);
    expect(res.status).toBe(404);
  });

  it.each([
    ['no session id', {}, toolsList, 400],
    ['an unsupported protocol version', { 'mcp-protocol-version': '1999-01-01' }, toolsList, 400],
    ['a body that is not JSON', {}, '{nope', 400],
    ['a batch', {}, [toolsList], 400],
    ['a wrong API key', { 'x-ag-api-key': 'wrong' }, toolsList, 401],
    ['a foreign Origin', { origin: 'https://evil.example.com' }, toolsList, 403],
  ])('answers %s with a JSON-RPC error and HTTP %s', async (_name, headers, body, status) => {
    const { sessionId } = await connect(replicaA, 'assistant');
    const extra = _name === 'no session id' ? headers : { 'mcp-session-id': sessionId, ...headers };
    const res = await rawPost(replicaA, 'assistant', extra, body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({
      jsonrpc: '2.0',
      error: { code: expect.any(Number), message: expect.any(String) },
    });
  });

  it('answers GET with 405 when no server of the session offers a stream (stateless servers)', async () => {
    const { sessionId } = await connect(replicaA, 'solo');
    const res = await fetch(`${replicaA.base}/solo/mcp`, {
      headers: { ...headersFor('solo'), accept: 'text/event-stream', 'mcp-session-id': sessionId },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, DELETE');
  });
});

describe('MCP gateway: any replica continues any session', () => {
  it('initialize on one replica, list, call and delete on the other: the upstream sees one session', async () => {
    const initializesBefore = weather.initializes;
    const sessionsBefore = new Set(weather.sessionIds);
    const { sessionId } = await connect(replicaA, 'assistant');
    expect(weather.initializes).toBe(initializesBefore + 1);

    const other = new Client({ name: 'e2e', version: '1.0.0' });
    clients.push(other);
    const transport = transportFor(replicaB, 'assistant', sessionId);
    await other.connect(transport);
    const { tools } = await other.listTools();
    expect(tools.map((t) => t.name)).toContain('forecast');
    const r = await other.callTool({ name: 'forecast', arguments: { city: 'Rome' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Sunny in Rome' }]);
    expect(weather.initializes).toBe(initializesBefore + 1);
    const newSessions = [...weather.sessionIds].filter((s) => !sessionsBefore.has(s));
    expect(newSessions).toHaveLength(1);

    const deletesBefore = weather.deletes;
    await transport.terminateSession();
    expect(weather.deletes).toBe(deletesBefore + 1);
    for (const replica of [replicaA, replicaB]) {
      const res = await rawPost(replica, 'assistant', { 'mcp-session-id': sessionId }, toolsList);
      expect(res.status).toBe(404);
    }
  });
});
