import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError as SdkMcpError } from '@modelcontextprotocol/sdk/types.js';
import { MCP_ERRORS } from '@tollgate/dataplane/mcp/jsonrpc';
import {
  startFilesServer,
  startWeatherServer,
  type TestMcpServer,
} from '@tollgate/dataplane/testing/mcp-servers';
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
 * Policies on tool calls and the MCP plane's observability, end to end: the official SDK client
 * against Tollgate (standalone, in-process) fronting real SDK servers. Every refusal is a JSON-RPC
 * error the server never sees.
 */
jest.setTimeout(30_000);

function manifests(weather: string, files: string): string {
  const consumer = (
    name: string,
  ) => `${mcpConsumerHeadYaml(name)}    servers: [{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: files}, prefix: files}]
    tools: {allow: [files_read_file, "weather_*"]}
`;
  const policy = (name: string, target: string, plugins: string) => `---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: ${name}}
spec:
  targetRefs: [{kind: Consumer, name: ${target}}]
  plugins:
${plugins}`;
  const keys = 'limited: key-limited, guarded: key-guarded, masked: key-masked, small: key-small';
  return `${mcpGatewayYaml('mcp-policies-session-key-0123456789abcdef', '', keys)}${mcpRegistryYaml('weather', weather)}${mcpRegistryYaml('files', files)}${consumer('limited')}${consumer('guarded')}${consumer('masked')}${consumer('small')}${policy(
    'per-tool',
    'limited',
    '    rateLimit: {requests: 2, window: 1m, key: Consumer}\n',
  )}${policy(
    'no-email',
    'guarded',
    '    promptGuard: {action: Reject, detectors: [Email], applyTo: [Request, Response]}\n',
  )}${policy(
    'mask-results',
    'masked',
    '    promptGuard: {action: Mask, detectors: [Email], applyTo: [Response]}\n',
  )}${policy('tiny', 'small', '    requestSize: {maxBodyBytes: 1024}\n')}`;
}

let weather: TestMcpServer;
let files: TestMcpServer;
let tollgate: InProcessTollgate;
const clients: Client[] = [];

beforeAll(async () => {
  [weather, files] = await Promise.all([startWeatherServer(), startFilesServer()]);
  tollgate = await standaloneOn(manifests(weather.url, files.url));
});

afterAll(async () => {
  await closeClients(clients);
  await tollgate?.stop();
  await Promise.all([weather?.close(), files?.close()]);
});

async function connect(consumer: string): Promise<Client> {
  const { client } = await connectMcp(clients, `${tollgate.base}/${consumer}/mcp`, {
    headers: mcpHeaders(consumer),
    name: 'policies-e2e',
  });
  return client;
}

async function refusal(call: Promise<unknown>): Promise<SdkMcpError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SdkMcpError);
  return err as SdkMcpError;
}

const hits = (server: TestMcpServer, tool: string) => server.hits.get(tool) ?? 0;

describe('rateLimit on tool calls: per consumer and per tool', () => {
  it('refuses the call over the limit with a retry hint and never reaches the server', async () => {
    const client = await connect('limited');
    const before = hits(files, 'read_file');
    for (let i = 0; i < 2; i++) {
      const ok = await client.callTool({ name: 'files_read_file', arguments: { path: `/p${i}` } });
      expect(ok.content).toEqual([{ type: 'text', text: `contents of /p${i}` }]);
    }
    const err = await refusal(client.callTool({ name: 'files_read_file', arguments: { path: '/p3' } }));
    expect(err.code).toBe(MCP_ERRORS.RateLimited);
    expect(err.message).toMatch(
      /Rate limit reached for tool 'files_read_file' \(2 calls per 1m per consumer and tool\)\. Try again in \d+s\./,
    );
    expect(err.data).toEqual({ retryAfterSeconds: expect.any(Number) as number });
    expect(hits(files, 'read_file')).toBe(before + 2);
  });

  it('counts each tool apart, and does not count lists', async () => {
    const client = await connect('limited');
    await client.listTools();
    await client.listTools();
    await client.listTools();
    const forecast = await client.callTool({ name: 'weather_get_forecast', arguments: { city: 'Rome' } });
    expect(forecast.content).toEqual([{ type: 'text', text: 'Sunny in Rome' }]);
  });
});

describe('promptGuard on tool calls', () => {
  it('refuses arguments holding what the guard rejects, with 0 upstream hits', async () => {
    const client = await connect('guarded');
    const before = hits(files, 'read_file');
    const err = await refusal(
      client.callTool({ name: 'files_read_file', arguments: { path: '/home/ann@example.com' } }),
    );
    expect(err.code).toBe(MCP_ERRORS.Blocked);
    expect(err.message).toContain(
      "The call to tool 'files_read_file' was blocked by a prompt guard: it contains Email in arguments",
    );
    expect(err.message).not.toContain('ann@example.com');
    expect(hits(files, 'read_file')).toBe(before);
    const clean = await client.callTool({ name: 'files_read_file', arguments: { path: '/etc/motd' } });
    expect(clean.content).toEqual([{ type: 'text', text: 'contents of /etc/motd' }]);
  });

  it('masks what a tool returns when the guard masks responses', async () => {
    const client = await connect('masked');
    // Arguments are not guarded for this consumer (applyTo: Response): the server echoes the address.
    const result = await client.callTool({
      name: 'files_read_file',
      arguments: { path: 'to bob@example.org' },
    });
    expect(result.content).toEqual([{ type: 'text', text: 'contents of to [EMAIL]' }]);
  });

  it('passes a streamed call through the guard: progress first, then its answer', async () => {
    const client = await connect('masked');
    const progress: number[] = [];
    const result = await client.callTool({ name: 'weather_count_slowly', arguments: { n: 2 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(progress).toEqual([1, 2]);
    expect(result.content).toEqual([{ type: 'text', text: 'counted to 2' }]);
  });
});

describe('requestSize on MCP messages', () => {
  it('refuses a call whose body exceeds maxBodyBytes before any server sees it', async () => {
    const client = await connect('small');
    const before = hits(files, 'read_file');
    const err = await client
      .callTool({ name: 'files_read_file', arguments: { path: 'x'.repeat(2000) } })
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code?: number },
      );
    expect(err?.code).toBe(413);
    expect(err?.message).toMatch(/1024 bytes/);
    expect(hits(files, 'read_file')).toBe(before);
  });
});

describe('MCP observability', () => {
  it('counts messages by server, times tool calls by server and config-known tool, and counts live sessions', async () => {
    const client = await connect('guarded');
    await client.callTool({ name: 'files_read_file', arguments: { path: '/metrics' } });
    await client.callTool({ name: 'weather_get_forecast', arguments: { city: 'Oslo' } });
    const text = await (await fetch(`${tollgate.ops}/metrics`)).text();
    expect(text).toMatch(
      /tollgate_mcp_requests_total\{gateway="agents",consumer="guarded",server="default\/files",method="tools\/call",result="ok"\} \d+/,
    );
    expect(text).toMatch(
      /tollgate_mcp_requests_total\{gateway="agents",consumer="guarded",server="",method="(tools\/list|initialize)",result="ok"\} \d+/,
    );
    // files_read_file is named in tools.allow; weather_get_forecast only matches a glob.
    expect(text).toMatch(
      /tollgate_mcp_tool_call_duration_seconds_count\{server="default\/files",tool="files_read_file",result="ok"\} \d+/,
    );
    expect(text).toMatch(
      /tollgate_mcp_tool_call_duration_seconds_count\{server="default\/weather",tool="other",result="ok"\} \d+/,
    );
    expect(text).not.toMatch(/tool="weather_get_forecast"/);
    const live = /tollgate_mcp_live_sessions (\d+)/.exec(text);
    expect(Number(live?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('shows the MCP servers and their health in /config_dump', async () => {
    const client = await connect('guarded');
    await client.callTool({ name: 'files_read_file', arguments: { path: '/dump' } });
    const dump = (await (await fetch(`${tollgate.ops}/config_dump`)).json()) as {
      mcpServers: Record<string, { url: string; reachable: unknown; lastSuccess?: string }>;
    };
    expect(dump.mcpServers['default/files']).toMatchObject({ url: files.url, reachable: true });
    expect(Date.parse(dump.mcpServers['default/files']?.lastSuccess ?? '')).toBeGreaterThan(0);
  });
});
