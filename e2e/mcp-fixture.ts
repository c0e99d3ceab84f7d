import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { CompiledMcpHttpServer } from '@tollgate/protocol';
import { startLegacySseServer, type LegacyMcpServer } from '@tollgate/dataplane/testing/mcp-sse-server';
import {
  start,
  startFilesServer,
  weatherServer,
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
 * The MCP gateway of the e2e tests, for one upstream transport: two Tollgate replicas (standalone,
 * in-process, on the same manifests) in front of real SDK servers. "weather" (stateful, see
 * `weatherServer`) and "flaky" (the same tools; a test closes it mid-session) speak `transport`;
 * "files" always speaks Streamable HTTP; "down" is a registry of `transport` that nothing answers,
 * "slow" is weather behind short timeouts.
 *
 * Consumers (slug = name, API key `key-{name}`):
 * - `assistant`: weather (prefix `weather`) and files (prefix `files`); `*_delete_*` tools and
 *   `files+file:///secret*` resources denied, weather_get_forecast exposed as `forecast`,
 *   `files_write_*` held for approval (the gateway's approvals time out after 1s);
 * - `open` / `closed`: weather and down, FailOpen / FailClosed;
 * - `fo` / `fc`: weather and flaky, FailOpen / FailClosed;
 * - `hasty`: slow (prefix `slow`).
 */
export type UpstreamTransport = CompiledMcpHttpServer['transport'];

/** The server handle of each transport: a legacy server tells more (its streams, its initializes). */
export interface UpstreamOf {
  StreamableHTTP: TestMcpServer;
  SSE: LegacyMcpServer;
}

/** A consumer of gateway `agents`: `servers` its `spec.mcp.servers`, `more` further lines of `spec.mcp`. */
export interface McpConsumer {
  name: string;
  servers: string;
  more?: string;
}

/** What a test file adds to the fixture: registries (YAML documents) and consumers. */
export interface McpFixtureExtras {
  registries?: string;
  consumers?: McpConsumer[];
}

export interface McpGateway<T extends UpstreamTransport = UpstreamTransport> {
  transport: T;
  weather: UpstreamOf[T];
  flaky: UpstreamOf[T];
  files: TestMcpServer;
  replicaA: InProcessTollgate;
  replicaB: InProcessTollgate;
  /** Every client the tests connected; closed by `stop()`. */
  clients: Client[];
  /** `{replica}/{consumer}/mcp`. */
  url(replica: InProcessTollgate, consumer: string): string;
  /** A client of `consumer` on `replica` with its API key; continuing `sessionId` (no initialize) when given. */
  connect(
    replica: InProcessTollgate,
    consumer: string,
    sessionId?: string,
  ): Promise<{ client: Client; transport: StreamableHTTPClientTransport }>;
  /** A client that answers sampling ("hi from the client") and elicitation ("Which city?" → Lisbon). */
  connectAnswering(replica: InProcessTollgate, consumer: string): Promise<Client>;
  /** A client that counts the `notifications/tools/list_changed` it hears (`changes()`). */
  connectListening(
    replica: InProcessTollgate,
    consumer: string,
  ): Promise<{ client: Client; transport: StreamableHTTPClientTransport; changes(): number }>;
  stop(): Promise<void>;
}

const startUpstream: { [K in UpstreamTransport]: (name: string) => Promise<UpstreamOf[K]> } = {
  StreamableHTTP: (name) => start(name, true, weatherServer()),
  SSE: (name) => startLegacySseServer(name, weatherServer()),
};

/** An address where nothing listens, in the shape of the transport's endpoint. */
const NOWHERE: Record<UpstreamTransport, string> = {
  StreamableHTTP: 'http://127.0.0.1:1/mcp',
  SSE: 'http://127.0.0.1:1/sse',
};

const BOTH = (other: string) =>
  `[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: ${other}}, prefix: ${other}}]`;

const CONSUMERS: McpConsumer[] = [
  {
    name: 'assistant',
    servers: '[{registryRef: {name: weather}, prefix: weather}, {registryRef: {name: files}, prefix: files}]',
    more: `    tools: {deny: ["*_delete_*"]}
    resources: {deny: ["files+file:///secret*"]}
    exposeAs: [{tool: weather_get_forecast, as: forecast}]
    requireApproval: ["files_write_*"]
`,
  },
  { name: 'open', servers: BOTH('down') },
  { name: 'closed', servers: BOTH('down'), more: '    onServerDown: FailClosed\n' },
  { name: 'fo', servers: BOTH('flaky') },
  { name: 'fc', servers: BOTH('flaky'), more: '    onServerDown: FailClosed\n' },
  { name: 'hasty', servers: '[{registryRef: {name: slow}, prefix: slow}]' },
];

/** The manifests of the fixture (see the top of this file) plus `extras`. */
function mcpFixtureYaml(
  transport: UpstreamTransport,
  urls: { weather: string; flaky: string; files: string },
  extras: McpFixtureExtras = {},
): string {
  const consumers = [...CONSUMERS, ...(extras.consumers ?? [])];
  const keys = consumers.map((c) => `${c.name}: key-${c.name}`).join(', ');
  const registry = (name: string, url: string, timeouts?: string) =>
    mcpRegistryYaml(name, url, { transport, ...(timeouts ? { timeouts } : {}) });
  return [
    mcpGatewayYaml('mcp-e2e-session-key-0123456789abcdef', '', keys, 'approvals: {timeout: 1s}'),
    registry('weather', urls.weather),
    mcpRegistryYaml('files', urls.files),
    registry('flaky', urls.flaky, 'connect: 1s, request: 2s'),
    registry('down', NOWHERE[transport], 'connect: 1s'),
    registry('slow', urls.weather, 'request: 300ms, idle: 300ms'),
    extras.registries ?? '',
    ...consumers.map((c) => `${mcpConsumerHeadYaml(c.name)}    servers: ${c.servers}\n${c.more ?? ''}`),
  ].join('');
}

/** Starts the servers and the two replicas of the fixture for `transport`. */
export async function startMcpGateway<T extends UpstreamTransport>(
  transport: T,
  extras: McpFixtureExtras = {},
): Promise<McpGateway<T>> {
  const startOne = startUpstream[transport] as (name: string) => Promise<UpstreamOf[T]>;
  const [weather, flaky, files] = await Promise.all([
    startOne('weather'),
    startOne('flaky'),
    startFilesServer(),
  ]);
  const yaml = mcpFixtureYaml(
    transport,
    { weather: weather.url, flaky: flaky.url, files: files.url },
    extras,
  );
  const closeServers = () => Promise.all([weather.close(), flaky.close(), files.close()]);
  const [replicaA, replicaB] = await Promise.all([standaloneOn(yaml), standaloneOn(yaml)]).catch(
    async (err: unknown) => {
      await closeServers();
      throw err;
    },
  );
  const clients: Client[] = [];
  const url = (replica: InProcessTollgate, consumer: string) => `${replica.base}/${consumer}/mcp`;
  return {
    transport,
    weather,
    flaky,
    files,
    replicaA,
    replicaB,
    clients,
    url,
    connect: (replica, consumer, sessionId) =>
      connectMcp(clients, url(replica, consumer), {
        headers: mcpHeaders(consumer),
        ...(sessionId !== undefined ? { transport: { sessionId } } : {}),
      }),
    async connectAnswering(replica, consumer) {
      const { client } = await connectMcp(clients, url(replica, consumer), {
        headers: mcpHeaders(consumer),
        client: { capabilities: { sampling: {}, elicitation: {} } },
      });
      client.setRequestHandler(CreateMessageRequestSchema, () => ({
        role: 'assistant',
        content: { type: 'text', text: 'hi from the client' },
        model: 'test-model',
      }));
      client.setRequestHandler(ElicitRequestSchema, (req) => ({
        action: 'accept',
        content: { city: req.params.message === 'Which city?' ? 'Lisbon' : '?' },
      }));
      return client;
    },
    async connectListening(replica, consumer) {
      const connected = await connectMcp(clients, url(replica, consumer), { headers: mcpHeaders(consumer) });
      let changed = 0;
      connected.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        changed++;
      });
      return { ...connected, changes: () => changed };
    },
    async stop() {
      await closeClients(clients);
      await Promise.all([replicaA.stop(), replicaB.stop()]);
      await closeServers();
    },
  };
}
