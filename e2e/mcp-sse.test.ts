import { startLegacySseServer, type LegacyMcpServer } from '@tollgate/dataplane/testing/mcp-sse-server';
import { weatherServer } from '@tollgate/dataplane/testing/mcp-servers';
import { startMcpGateway, type McpGateway } from './mcp-fixture';
import { connectMcp, mcpHeaders, mcpRegistryYaml } from './mcp-harness';
import { eventually } from './process';

/**
 * MCP servers of the legacy HTTP+SSE transport (2024-11-05) behind Tollgate, what only this
 * transport does: a connection per session that each replica opens (and initializes) for itself,
 * dropped and re-opened, closed by DELETE; a server that never sends its endpoint event ("mute",
 * reached by consumer `quiet`). What every upstream transport does is in mcp-transports.test.ts;
 * the fixture (servers, consumers, two replicas) in ./mcp-fixture.
 */
jest.setTimeout(30_000);

let mute: LegacyMcpServer;
let f: McpGateway<'SSE'>;

beforeAll(async () => {
  mute = await startLegacySseServer('mute', weatherServer(), { endpoint: 'none' });
  f = await startMcpGateway('SSE', {
    registries: mcpRegistryYaml('mute', mute.url, { transport: 'SSE', timeouts: 'request: 1s' }),
    consumers: [{ name: 'quiet', servers: '[{registryRef: {name: mute}}]' }],
  });
});

afterAll(async () => {
  await f?.stop();
  await mute?.close();
});

describe('MCP gateway: the server-to-client stream of a legacy SSE server', () => {
  it("delivers the server's notification outside any request on the client's GET stream", async () => {
    const open = f.weather.openStreams;
    const { changes } = await f.connectListening(f.replicaA, 'assistant');
    await eventually(() => f.weather.openStreams > open, 3000);
    // The SDK client opens its GET stream after initialize; give it time to reach the gateway.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await f.weather.toolsChanged();
    await eventually(() => changes() > 0, 3000);
    expect(changes()).toBeGreaterThan(0);
  });
});

describe('MCP gateway: legacy SSE sessions on any replica', () => {
  it('initialize on one replica, call on the other: that replica opens its own connection, initialized for the client', async () => {
    const { transport } = await connectMcp(f.clients, f.url(f.replicaA, 'assistant'), {
      headers: mcpHeaders('assistant'),
      name: 'e2e-sse-a',
      client: { capabilities: { sampling: {}, elicitation: {} } },
    });
    const [gets, initializes] = [f.weather.gets, f.weather.initializes];
    const { client: other } = await f.connect(f.replicaB, 'assistant', transport.sessionId);
    const r = await other.callTool({ name: 'forecast', arguments: { city: 'Quito' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Sunny in Quito' }]);
    expect(f.weather.gets).toBe(gets + 1);
    expect(f.weather.initializes).toBe(initializes + 1);
    // Initialized again with the client's own parameters, carried in its session token.
    expect(f.weather.initializeParams.at(-1)).toMatchObject({
      capabilities: { sampling: {}, elicitation: {} },
      clientInfo: { name: 'e2e-sse-a', version: '1.0.0' },
    });

    const progress: number[] = [];
    await other.callTool({ name: 'weather_count_slowly', arguments: { n: 2 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(progress).toEqual([1, 2]);
    expect(f.weather.gets).toBe(gets + 1);
  });

  it('DELETE closes the connection the replica holds; the session is then refused', async () => {
    const { client, transport } = await f.connect(f.replicaB, 'assistant');
    await client.listTools();
    const open = f.weather.openStreams;
    const sessionId = transport.sessionId ?? '';
    await transport.terminateSession();
    await eventually(() => f.weather.openStreams < open, 3000);
    expect(f.weather.openStreams).toBe(open - 1);
    const after = await fetch(f.url(f.replicaB, 'assistant'), {
      method: 'POST',
      headers: {
        ...mcpHeaders('assistant'),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
    });
    expect(after.status).toBe(404);
  });

  it('opens a dropped upstream stream again on the next request', async () => {
    const { client } = await f.connect(f.replicaA, 'assistant');
    const gets = f.weather.gets;
    f.weather.dropStreams();
    await eventually(() => f.weather.openStreams === 0, 3000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const r = await client.callTool({ name: 'forecast', arguments: { city: 'Accra' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Sunny in Accra' }]);
    expect(f.weather.gets).toBeGreaterThan(gets);
  });
});

describe('MCP gateway: a legacy SSE server that cannot serve', () => {
  it('a server that never sends its endpoint event fails initialize with a clear error, no hang', async () => {
    const started = Date.now();
    await expect(f.connect(f.replicaA, 'quiet')).rejects.toThrow(
      /MCP server 'mute' sent no endpoint event within 1s/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('shows the connections a replica holds to the legacy server in /config_dump, a mute one with its error', async () => {
    await f.connect(f.replicaA, 'assistant');
    await f.connect(f.replicaA, 'quiet').catch(() => undefined);
    const dump = (await (await fetch(`${f.replicaA.ops}/config_dump`)).json()) as {
      mcpServers?: Record<string, { connections?: number; lastError?: { message: string } }>;
    };
    expect(dump.mcpServers?.['default/weather']?.connections).toBeGreaterThan(0);
    expect(dump.mcpServers?.['default/mute']).toMatchObject({
      reachable: false,
      lastError: { message: expect.stringMatching(/sent no endpoint event/) as string },
    });
  });
});
