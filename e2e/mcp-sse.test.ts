import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { startLegacySseServer, type LegacyMcpServer } from '@tollgate/dataplane/testing/mcp-sse-server';
import { startFilesServer, weatherServer, type TestMcpServer } from '@tollgate/dataplane/testing/mcp-servers';
import {
  closeClients,
  connectMcp,
  mcpConsumerHeadYaml,
  mcpGatewayYaml,
  mcpHeaders,
  mcpRegistryYaml,
} from './mcp-harness';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * MCP servers of the legacy HTTP+SSE transport (2024-11-05) behind Tollgate: real SDK servers on
 * `SSEServerTransport`, the official SDK client speaking Streamable HTTP to the gateway, two
 * Tollgate instances on the same manifests as two replicas. "weather" speaks the legacy transport,
 * "files" Streamable HTTP (one consumer reaches both); "mute" never sends its endpoint event.
 */
jest.setTimeout(30_000);

function sseRegistryYaml(name: string, url: string, timeouts = ''): string {
  return `---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: ${name}}
spec: {provider: mcp, mcp: {transport: SSE, url: "${url}"}${timeouts ? `, timeouts: {${timeouts}}` : ''}}
`;
}

function manifests(weather: string, files: string, mute: string, flaky: string): string {
  const consumer = (name: string, servers: string, extra = '') =>
    `${mcpConsumerHeadYaml(name)}    servers: ${servers}\n${extra}`;
  return `${mcpGatewayYaml(
    'mcp-sse-e2e-session-key-0123456789abcdef',
    '',
    'mixed: key-mixed, open: key-open, closed: key-closed, quiet: key-quiet, fo: key-fo, fc: key-fc',
  )}${sseRegistryYaml('weather', weather)}${mcpRegistryYaml('files', files)}${sseRegistryYaml(
    'down',
    'http://127.0.0.1:1/sse',
    'connect: 1s',
  )}${sseRegistryYaml('mute', mute, 'request: 1s')}${consumer(
    'mixed',
    '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: files}, prefix: files}]',
    '    tools: {deny: ["weather_delete_*"]}\n',
  )}${consumer('open', '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: down}, prefix: down}]')}${consumer(
    'closed',
    '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: down}, prefix: down}]',
    '    onServerDown: FailClosed\n',
  )}${consumer('quiet', '[{registryRef: {name: mute}}]')}${sseRegistryYaml('flaky', flaky, 'connect: 1s')}${consumer(
    'fo',
    '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: flaky}, prefix: flaky}]',
  )}${consumer(
    'fc',
    '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: flaky}, prefix: flaky}]',
    '    onServerDown: FailClosed\n',
  )}`;
}

let weather: LegacyMcpServer;
let mute: LegacyMcpServer;
let flaky: LegacyMcpServer;
let files: TestMcpServer;
let replicaA: InProcessTollgate;
let replicaB: InProcessTollgate;
const clients: Client[] = [];

beforeAll(async () => {
  [weather, mute, flaky, files] = await Promise.all([
    startLegacySseServer('weather', weatherServer()),
    startLegacySseServer('mute', weatherServer(), { endpoint: 'none' }),
    startLegacySseServer('flaky', weatherServer()),
    startFilesServer(),
  ]);
  const yaml = manifests(weather.url, files.url, mute.url, flaky.url);
  [replicaA, replicaB] = await Promise.all([standaloneOn(yaml), standaloneOn(yaml)]);
});

afterAll(async () => {
  await closeClients(clients);
  await Promise.all([replicaA?.stop(), replicaB?.stop()]);
  await Promise.all([weather?.close(), mute?.close(), flaky?.close(), files?.close()]);
});

const url = (replica: InProcessTollgate, consumer: string) => `${replica.base}/${consumer}/mcp`;

async function connect(replica: InProcessTollgate, consumer: string) {
  return connectMcp(clients, url(replica, consumer), { headers: mcpHeaders(consumer) });
}

/** A client that answers sampling and elicitation, connected to `mixed` on `replica`. */
async function connectAnswering(replica: InProcessTollgate, sessionId?: string): Promise<Client> {
  const client = new Client(
    { name: 'e2e-sse', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {} } },
  );
  clients.push(client);
  client.setRequestHandler(CreateMessageRequestSchema, () => ({
    role: 'assistant',
    content: { type: 'text', text: 'hi from the client' },
    model: 'test-model',
  }));
  client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { city: 'Lisbon' } }));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url(replica, 'mixed')), {
      requestInit: { headers: mcpHeaders('mixed') },
      ...(sessionId !== undefined ? { sessionId } : {}),
    }),
  );
  return client;
}

const until = async (ok: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
};

describe('MCP gateway: a legacy HTTP+SSE server next to a Streamable HTTP one', () => {
  it('initializes both and lists their tools with prefixes, hidden tools left out', async () => {
    const { client } = await connect(replicaA, 'mixed');
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, prompts: {}, resources: {} });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'files_read_file',
      'files_write_file',
      'weather_add_tool',
      'weather_ask_model',
      'weather_ask_user',
      'weather_count_slowly',
      'weather_get_forecast',
      'weather_sleep',
    ]);
  });

  it('calls a tool of the legacy server with the prefix removed; a hidden one never reaches it', async () => {
    const { client } = await connect(replicaA, 'mixed');
    const before = weather.hits.get('get_forecast') ?? 0;
    const r = await client.callTool({ name: 'weather_get_forecast', arguments: { city: 'Paris' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Sunny in Paris' }]);
    expect(weather.hits.get('get_forecast')).toBe(before + 1);
    await expect(client.callTool({ name: 'weather_delete_city', arguments: {} })).rejects.toThrow(
      'Unknown tool: weather_delete_city',
    );
    expect(weather.hits.get('delete_city') ?? 0).toBe(0);
    const concurrent = await Promise.all(
      ['Oslo', 'Rome', 'Lima'].map((city) =>
        client.callTool({ name: 'weather_get_forecast', arguments: { city } }),
      ),
    );
    expect(concurrent.map((c) => c.content)).toEqual(
      ['Oslo', 'Rome', 'Lima'].map((city) => [{ type: 'text', text: `Sunny in ${city}` }]),
    );
  });

  it('relays progress notifications of a call on its streamed answer', async () => {
    const { client } = await connect(replicaA, 'mixed');
    const progress: number[] = [];
    const r = await client.callTool({ name: 'weather_count_slowly', arguments: { n: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(r.content).toEqual([{ type: 'text', text: 'counted to 3' }]);
    expect(progress).toEqual([1, 2, 3]);
  });

  it('gets prompts, reads resources and completes arguments through the prefix', async () => {
    const { client } = await connect(replicaA, 'mixed');
    const prompt = await client.getPrompt({ name: 'weather_daily_brief', arguments: { city: 'Oslo' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Brief me on Oslo' });
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual([
      'files+file:///readme.txt',
      'weather+weather://cities/paris',
    ]);
    const read = await client.readResource({ uri: 'weather+weather://cities/paris' });
    expect(read.contents).toEqual([{ uri: 'weather+weather://cities/paris', text: 'Paris: 21C' }]);
    const templated = await client.readResource({ uri: 'weather+weather://cities/rome' });
    expect(templated.contents).toEqual([{ uri: 'weather+weather://cities/rome', text: 'rome: 18C' }]);
    const done = await client.complete({
      ref: { type: 'ref/prompt', name: 'weather_daily_brief' },
      argument: { name: 'city', value: 'P' },
    });
    expect(done.completion.values).toEqual(['Paris', 'Prague']);
  });

  it('relays sampling and elicitation during a call and routes the answers back to the server', async () => {
    const client = await connectAnswering(replicaA);
    const sampled = await client.callTool({ name: 'weather_ask_model', arguments: {} });
    expect(sampled.content).toEqual([{ type: 'text', text: 'the model said: hi from the client' }]);
    const elicited = await client.callTool({ name: 'weather_ask_user', arguments: {} });
    expect(elicited.content).toEqual([{ type: 'text', text: 'accept: Lisbon' }]);
  });

  it("delivers the server's notification outside any request on the client's GET stream", async () => {
    const client = new Client({ name: 'e2e-sse', version: '1.0.0' });
    clients.push(client);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const open = weather.openStreams;
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url(replicaA, 'mixed')), {
        requestInit: { headers: mcpHeaders('mixed') },
      }),
    );
    await until(() => weather.openStreams > open);
    // The SDK client opens its GET stream after initialize; give it time to reach the gateway.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await weather.toolsChanged();
    await until(() => changed > 0);
    expect(changed).toBeGreaterThan(0);
  });
});

describe('MCP gateway: cancelling a call of a legacy SSE server', () => {
  it('tells the server the call was cancelled', async () => {
    const { client } = await connect(replicaA, 'mixed');
    const before = weather.notifications.filter((n) => n === 'notifications/cancelled').length;
    const abort = new AbortController();
    const call = client.callTool({ name: 'weather_sleep', arguments: { ms: 3000 } }, undefined, {
      signal: abort.signal,
    });
    setTimeout(() => abort.abort('changed my mind'), 200);
    await expect(call).rejects.toThrow();
    await until(() => weather.notifications.filter((n) => n === 'notifications/cancelled').length > before);
    expect(weather.notifications.filter((n) => n === 'notifications/cancelled').length).toBeGreaterThan(
      before,
    );
  });
});

describe('MCP gateway: legacy SSE sessions on any replica', () => {
  it('initialize on one replica, call on the other: that replica opens its own connection, initialized for the client', async () => {
    const { transport } = await connectMcp(clients, url(replicaA, 'mixed'), {
      headers: mcpHeaders('mixed'),
      name: 'e2e-sse-a',
      client: { capabilities: { sampling: {}, elicitation: {} } },
    });
    const [gets, initializes] = [weather.gets, weather.initializes];
    const other = new Client({ name: 'e2e-sse', version: '1.0.0' });
    clients.push(other);
    const onB = new StreamableHTTPClientTransport(new URL(url(replicaB, 'mixed')), {
      requestInit: { headers: mcpHeaders('mixed') },
      ...(transport.sessionId !== undefined ? { sessionId: transport.sessionId } : {}),
    });
    await other.connect(onB);
    const r = await other.callTool({ name: 'weather_get_forecast', arguments: { city: 'Quito' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Sunny in Quito' }]);
    expect(weather.gets).toBe(gets + 1);
    expect(weather.initializes).toBe(initializes + 1);
    // Initialized again with the client's own parameters, carried in its session token.
    expect(weather.initializeParams.at(-1)).toMatchObject({
      capabilities: { sampling: {}, elicitation: {} },
      clientInfo: { name: 'e2e-sse-a', version: '1.0.0' },
    });

    const progress: number[] = [];
    await other.callTool({ name: 'weather_count_slowly', arguments: { n: 2 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(progress).toEqual([1, 2]);
    expect(weather.gets).toBe(gets + 1);
  });

  it('DELETE closes the connection the replica holds; the session is then refused', async () => {
    const { client, transport } = await connect(replicaB, 'mixed');
    await client.listTools();
    const open = weather.openStreams;
    const sessionId = transport.sessionId ?? '';
    await transport.terminateSession();
    await until(() => weather.openStreams < open);
    expect(weather.openStreams).toBe(open - 1);
    const after = await fetch(url(replicaB, 'mixed'), {
      method: 'POST',
      headers: {
        ...mcpHeaders('mixed'),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
    });
    expect(after.status).toBe(404);
  });

  it('opens a dropped upstream stream again on the next request', async () => {
    const { client } = await connect(replicaA, 'mixed');
    const gets = weather.gets;
    weather.dropStreams();
    await until(() => weather.openStreams === 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const r = await client.callTool({ name: 'weather_get_forecast', arguments: { city: 'Accra' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Sunny in Accra' }]);
    expect(weather.gets).toBeGreaterThan(gets);
  });
});

describe('MCP gateway: a legacy SSE server that cannot serve', () => {
  it('FailOpen serves the other server; FailClosed refuses initialize, naming the server', async () => {
    const { client } = await connect(replicaA, 'open');
    const { tools } = await client.listTools();
    expect(tools.every((t) => t.name.startsWith('weather_'))).toBe(true);
    expect(tools.length).toBeGreaterThan(0);
    const closed = new Client({ name: 'e2e-sse', version: '1.0.0' });
    await expect(
      closed.connect(
        new StreamableHTTPClientTransport(new URL(url(replicaA, 'closed')), {
          requestInit: { headers: mcpHeaders('closed') },
        }),
      ),
    ).rejects.toThrow(/MCP server 'down' is unreachable/);
  });

  it('a server going down mid-session: FailOpen serves the other; FailClosed fails the request, naming it', async () => {
    const open = await connect(replicaA, 'fo');
    const closed = await connect(replicaA, 'fc');
    expect((await open.client.listTools()).tools.map((t) => t.name)).toContain('flaky_get_forecast');
    await flaky.close();
    const { tools } = await open.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((t) => t.name.startsWith('weather_'))).toBe(true);
    await expect(closed.client.listTools()).rejects.toThrow(/MCP server 'flaky'/);
    await expect(
      open.client.callTool({ name: 'flaky_get_forecast', arguments: { city: 'x' } }),
    ).rejects.toThrow(/MCP server 'flaky'/);
  });

  it('a server that never sends its endpoint event fails initialize with a clear error, no hang', async () => {
    const started = Date.now();
    const client = new Client({ name: 'e2e-sse', version: '1.0.0' });
    await expect(
      client.connect(
        new StreamableHTTPClientTransport(new URL(url(replicaA, 'quiet')), {
          requestInit: { headers: mcpHeaders('quiet') },
        }),
      ),
    ).rejects.toThrow(/MCP server 'mute' sent no endpoint event within 1s/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('counts the legacy server in the MCP metrics like any other', async () => {
    const { client } = await connect(replicaA, 'mixed');
    await client.callTool({ name: 'weather_get_forecast', arguments: { city: 'Bern' } });
    const text = await (await fetch(`${replicaA.ops}/metrics`)).text();
    expect(text).toMatch(
      /tollgate_mcp_requests_total\{[^}]*server="default\/weather",method="tools\/call",result="ok"\} [1-9]/,
    );
    expect(text).toMatch(
      /tollgate_mcp_tool_call_duration_seconds_count\{server="default\/weather"[^}]*\} [1-9]/,
    );
  });

  it('shows the legacy server as reachable in /config_dump, a mute one with its error', async () => {
    await connect(replicaA, 'mixed');
    await connect(replicaA, 'quiet').catch(() => undefined);
    const dump = (await (await fetch(`${replicaA.ops}/config_dump`)).json()) as {
      mcpServers?: Record<
        string,
        { reachable: unknown; connections?: number; lastError?: { message: string } }
      >;
    };
    expect(dump.mcpServers?.['default/weather']).toMatchObject({
      url: weather.url,
      reachable: true,
      connections: expect.any(Number) as number,
    });
    expect(dump.mcpServers?.['default/weather']?.connections).toBeGreaterThan(0);
    expect(dump.mcpServers?.['default/mute']).toMatchObject({
      reachable: false,
      lastError: { message: expect.stringMatching(/sent no endpoint event/) as string },
    });
  });
});
