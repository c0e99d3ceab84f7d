import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  type StreamableHTTPClientTransportOptions,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CompiledMcpHttpServer } from '@tollgate/protocol';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

/**
 * What the MCP e2e files share: the Secret + Gateway manifests of an MCP gateway (slug `agents`),
 * a Registry per upstream server, and SDK clients connected to /{consumer}/mcp that the file
 * closes in its afterAll.
 */

/**
 * Secret `mcp` (a session key plus `stringData`), Secret `keys` when given, and Gateway `agents`
 * with one session key. `stringData` is the rest of the `mcp` secret's map, e.g. `key: key-local`;
 * `mcpMore` more fields of the Gateway's `spec.mcp`, e.g. `approvals: {timeout: 1s}`.
 */
export function mcpGatewayYaml(session: string, stringData = '', keys?: string, mcpMore = ''): string {
  const data = stringData ? `, ${stringData}` : '';
  const keysDoc = keys
    ? `---
apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData: {${keys}}
`
    : '';
  return `
apiVersion: v1
kind: Secret
metadata: {name: mcp}
stringData: {session: ${session}${data}}
${keysDoc}---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: agents}
spec:
  slug: agents
  mcp: {sessionKeys: [{id: k1, secretRef: {name: mcp, key: session}}]${mcpMore ? `, ${mcpMore}` : ''}}
`;
}

/**
 * A Registry for an MCP server at `url`, over Streamable HTTP unless `transport` says otherwise;
 * `timeouts` the body of its `timeouts` map, e.g. `connect: 1s, request: 2s`.
 */
export function mcpRegistryYaml(
  name: string,
  url: string,
  o: { transport?: CompiledMcpHttpServer['transport']; timeouts?: string } = {},
): string {
  const transport = o.transport ? `transport: ${o.transport}, ` : '';
  return `---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: ${name}}
spec: {provider: mcp, mcp: {${transport}url: "${url}"}${o.timeouts ? `, timeouts: {${o.timeouts}}` : ''}}
`;
}

/** The headers of a consumer reaching the `agents` gateway with its API key (default `key-{consumer}`). */
export function mcpHeaders(consumer: string, key = `key-${consumer}`): Record<string, string> {
  return { 'x-ag-gateway-slug': 'agents', 'x-ag-api-key': key };
}

/** An SDK client connected to `url`; pushed onto `clients` (see closeClients) before connecting. */
export async function connectMcp(
  clients: Client[],
  url: string,
  o: {
    headers?: Record<string, string>;
    name?: string;
    client?: ClientOptions;
    transport?: Omit<StreamableHTTPClientTransportOptions, 'requestInit'>;
  } = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: o.headers ?? {} },
    ...o.transport,
  });
  const client = new Client({ name: o.name ?? 'e2e', version: '1.0.0' }, o.client ?? {});
  clients.push(client);
  await client.connect(transport);
  return { client, transport };
}

/** Closes every client, ignoring those already gone. */
export async function closeClients(clients: Client[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
}

/** The head of Consumer `name` of gateway `agents` (slug = name, key `name` of Secret `keys`), up to its `mcp:` line. */
export function mcpConsumerHeadYaml(name: string): string {
  return `---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: ${name}}
spec:
  gatewayRef: {name: agents}
  slug: ${name}
  credentials: {apiKeys: [{secretRef: {name: keys, key: ${name}}}]}
  mcp:
`;
}

/** The `initialize` request a client sends by hand (raw JSON-RPC, not through the SDK client). */
export function initializeRequest(clientName: string): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: clientName, version: '1' },
    },
  };
}
