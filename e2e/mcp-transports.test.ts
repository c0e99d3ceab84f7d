import { eventually } from './process';
import { startMcpGateway, type McpGateway, type UpstreamTransport } from './mcp-fixture';

/**
 * The MCP gateway end to end, once per upstream transport: the official SDK client (always
 * Streamable HTTP) against two Tollgate replicas fronting real SDK servers — "weather" and "flaky"
 * over the transport under test, "files" over Streamable HTTP (see ./mcp-fixture). What only one
 * transport does is in mcp.test.ts (Streamable HTTP) and mcp-sse.test.ts (legacy HTTP+SSE).
 */
jest.setTimeout(30_000);

/** The tools of "weather" (see weatherServer), without a prefix. */
const WEATHER_TOOLS = [
  'add_tool',
  'ask_model',
  'ask_user',
  'count_slowly',
  'delete_city',
  'get_forecast',
  'sleep',
];

describe.each<{ transport: UpstreamTransport }>([{ transport: 'StreamableHTTP' }, { transport: 'SSE' }])(
  'MCP gateway in front of $transport servers',
  ({ transport }) => {
    let f: McpGateway;
    beforeAll(async () => {
      f = await startMcpGateway(transport);
    });
    afterAll(async () => {
      await f?.stop();
    });
    const connect = (consumer: string) => f.connect(f.replicaA, consumer);
    const cancellations = () => f.weather.notifications.filter((n) => n === 'notifications/cancelled').length;

    describe('one endpoint for two servers', () => {
      it('initializes both servers and merges their capabilities', async () => {
        const { client, transport: t } = await connect('assistant');
        expect(t.sessionId).toMatch(/^t1\.k1\./);
        expect(client.getServerVersion()).toMatchObject({ name: 'tollgate' });
        expect(client.getServerCapabilities()).toMatchObject({ tools: {}, prompts: {}, resources: {} });
      });

      it('lists tools with prefixes, aliases applied and hidden tools left out', async () => {
        const { client } = await connect('assistant');
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

      it('calls tools on the owning server with the prefix removed, concurrent calls each answered', async () => {
        const { client } = await connect('assistant');
        const before = f.files.hits.get('read_file') ?? 0;
        const read = await client.callTool({ name: 'files_read_file', arguments: { path: '/etc/motd' } });
        expect(read.content).toEqual([{ type: 'text', text: 'contents of /etc/motd' }]);
        expect(f.files.hits.get('read_file')).toBe(before + 1);
        const forecasts = f.weather.hits.get('get_forecast') ?? 0;
        const forecast = await client.callTool({ name: 'forecast', arguments: { city: 'Paris' } });
        expect(forecast.content).toEqual([{ type: 'text', text: 'Sunny in Paris' }]);
        expect(f.weather.hits.get('get_forecast')).toBe(forecasts + 1);
        const concurrent = await Promise.all(
          ['Oslo', 'Rome', 'Lima'].map((city) => client.callTool({ name: 'forecast', arguments: { city } })),
        );
        expect(concurrent.map((c) => c.content)).toEqual(
          ['Oslo', 'Rome', 'Lima'].map((city) => [{ type: 'text', text: `Sunny in ${city}` }]),
        );
      });

      it('relays progress notifications of a streamed call', async () => {
        const { client } = await connect('assistant');
        const progress: number[] = [];
        const result = await client.callTool(
          { name: 'weather_count_slowly', arguments: { n: 3 } },
          undefined,
          { onprogress: (p) => progress.push(p.progress) },
        );
        expect(result.content).toEqual([{ type: 'text', text: 'counted to 3' }]);
        expect(progress).toEqual([1, 2, 3]);
      });

      it('gets prompts and reads resources through their prefixes', async () => {
        const { client } = await connect('assistant');
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
        const { client } = await connect('assistant');
        const { resourceTemplates } = await client.listResourceTemplates();
        expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['weather+weather://cities/{city}']);
        const read = await client.readResource({ uri: 'weather+weather://cities/rome' });
        expect(read.contents).toEqual([{ uri: 'weather+weather://cities/rome', text: 'rome: 18C' }]);
      });

      it("completes a prompt's argument at the owning server", async () => {
        const { client } = await connect('assistant');
        const done = await client.complete({
          ref: { type: 'ref/prompt', name: 'weather_daily_brief' },
          argument: { name: 'city', value: 'P' },
        });
        expect(done.completion.values).toEqual(['Paris', 'Prague']);
      });

      it('answers ping itself', async () => {
        const { client } = await connect('assistant');
        await expect(client.ping()).resolves.toEqual({});
      });
    });

    describe('requests from a server to the client', () => {
      it('relays sampling during a tool call and routes the answer back to the server', async () => {
        const client = await f.connectAnswering(f.replicaA, 'assistant');
        const r = await client.callTool({ name: 'weather_ask_model', arguments: {} });
        expect(r.content).toEqual([{ type: 'text', text: 'the model said: hi from the client' }]);
      });

      it('relays elicitation during a tool call', async () => {
        const client = await f.connectAnswering(f.replicaA, 'assistant');
        const r = await client.callTool({ name: 'weather_ask_user', arguments: {} });
        expect(r.content).toEqual([{ type: 'text', text: 'accept: Lisbon' }]);
      });
    });

    describe('cancellation', () => {
      it("forwards the client's cancellation to the server", async () => {
        const { client } = await connect('assistant');
        const before = cancellations();
        const abort = new AbortController();
        const call = client.callTool({ name: 'weather_sleep', arguments: { ms: 3000 } }, undefined, {
          signal: abort.signal,
        });
        setTimeout(() => abort.abort('changed my mind'), 200);
        await expect(call).rejects.toThrow();
        await eventually(() => cancellations() > before, 2000);
        expect(cancellations()).toBeGreaterThan(before);
      });
    });

    describe('tool RBAC', () => {
      it.each([
        ['a denied tool', 'weather_delete_city', 'delete_city'],
        ['a tool known only by its alias', 'weather_get_forecast', 'get_forecast'],
        ['a tool of no server', 'nobody_nothing', 'nothing'],
      ])('refuses %s with an error and no upstream call', async (_name, tool, upstreamTool) => {
        const { client } = await connect('assistant');
        const before = f.weather.hits.get(upstreamTool) ?? 0;
        await expect(client.callTool({ name: tool, arguments: { city: 'x' } })).rejects.toThrow(
          `Unknown tool: ${tool}`,
        );
        expect(f.weather.hits.get(upstreamTool) ?? 0).toBe(before);
      });

      it('holds a tool that needs approval and, with no decision in time, refuses it without calling it', async () => {
        const { client } = await connect('assistant');
        const before = f.files.hits.get('write_file') ?? 0;
        await expect(
          client.callTool({ name: 'files_write_file', arguments: { path: '/x' } }),
        ).rejects.toThrow(/was not approved: no decision in time/);
        expect(f.files.hits.get('write_file') ?? 0).toBe(before);
      });
    });

    describe('a server that cannot serve', () => {
      it('answers a call that outlasts the timeouts with a JSON-RPC timeout error', async () => {
        const { client } = await connect('hasty');
        await expect(client.callTool({ name: 'slow_sleep', arguments: { ms: 1500 } })).rejects.toThrow(
          /did not answer in time/,
        );
      });

      it('unreachable: FailOpen serves the other server; FailClosed refuses initialize, naming the server', async () => {
        const { client } = await connect('open');
        const { tools } = await client.listTools();
        expect(tools.every((t) => t.name.startsWith('weather_'))).toBe(true);
        expect(tools.length).toBeGreaterThan(0);
        await expect(connect('closed')).rejects.toThrow(/MCP server 'down' is unreachable/);
      });

      it('going down mid-session: FailOpen serves the other; FailClosed fails the request, naming it', async () => {
        const open = await connect('fo');
        const closed = await connect('fc');
        expect((await open.client.listTools()).tools.map((t) => t.name)).toContain('flaky_get_forecast');
        await f.flaky.close();
        const { tools } = await open.client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual(WEATHER_TOOLS.map((t) => `weather_${t}`));
        expect(tools.length).toBeGreaterThan(0);
        expect(tools.every((t) => t.name.startsWith('weather_'))).toBe(true);
        await expect(closed.client.listTools()).rejects.toThrow(/MCP server 'flaky'/);
        await expect(
          open.client.callTool({ name: 'flaky_get_forecast', arguments: { city: 'x' } }),
        ).rejects.toThrow(/MCP server 'flaky'/);
      });
    });

    describe('observability', () => {
      it('counts the server in the MCP metrics', async () => {
        const { client } = await connect('assistant');
        await client.callTool({ name: 'forecast', arguments: { city: 'Bern' } });
        const text = await (await fetch(`${f.replicaA.ops}/metrics`)).text();
        expect(text).toMatch(
          /tollgate_mcp_requests_total\{[^}]*server="default\/weather",method="tools\/call",result="ok"\} [1-9]/,
        );
        expect(text).toMatch(
          /tollgate_mcp_tool_call_duration_seconds_count\{server="default\/weather"[^}]*\} [1-9]/,
        );
      });

      it('shows the server as reachable in /config_dump', async () => {
        await connect('assistant');
        const dump = (await (await fetch(`${f.replicaA.ops}/config_dump`)).json()) as {
          mcpServers?: Record<string, unknown>;
        };
        expect(dump.mcpServers?.['default/weather']).toMatchObject({ url: f.weather.url, reachable: true });
      });
    });
  },
);
