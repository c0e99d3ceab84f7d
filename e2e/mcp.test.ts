import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { sealSession, sessionKeysOf, type SessionClaims } from '@tollgate/dataplane/mcp/session';
import { startPagedServer, type TestMcpServer } from '@tollgate/dataplane/testing/mcp-servers';
import { startMcpGateway, type McpGateway } from './mcp-fixture';
import { mcpHeaders, mcpRegistryYaml } from './mcp-harness';
import { eventually } from './process';
import type { InProcessTollgate } from './standalone';

/**
 * The MCP gateway end to end in front of Streamable HTTP servers, what only this transport does:
 * paging, a stateless server alone, the GET stream of a session shared by two replicas, session
 * tokens, one upstream session continued on any replica. What every upstream transport does is in
 * mcp-transports.test.ts; the fixture (servers, consumers, two replicas) in ./mcp-fixture.
 */
jest.setTimeout(30_000);

let paged: TestMcpServer;
let f: McpGateway<'StreamableHTTP'>;

beforeAll(async () => {
  paged = await startPagedServer();
  f = await startMcpGateway('StreamableHTTP', {
    registries: mcpRegistryYaml('paged', paged.url),
    consumers: [
      { name: 'solo', servers: '[{registryRef: {name: files}}]' },
      {
        name: 'pages',
        servers: '[{registryRef: {name: paged}, prefix: p}, {registryRef: {name: files}, prefix: files}]',
      },
    ],
  });
});

afterAll(async () => {
  await f?.stop();
  await paged?.close();
});

async function connect(
  replica: InProcessTollgate,
  consumer: string,
): Promise<{ client: Client; sessionId: string }> {
  const { client, transport } = await f.connect(replica, consumer);
  return { client, sessionId: transport.sessionId ?? '' };
}

/** A raw JSON-RPC POST, for what the SDK client never sends. */
async function rawPost(
  replica: InProcessTollgate,
  consumer: string,
  headers: Record<string, string>,
  body: unknown,
) {
  const res = await fetch(f.url(replica, consumer), {
    method: 'POST',
    headers: {
      ...mcpHeaders(consumer),
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

describe('MCP gateway: servers of their own', () => {
  it('pages through each server with its own cursor', async () => {
    const { client } = await connect(f.replicaA, 'pages');
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
    const { client } = await connect(f.replicaA, 'solo');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['read_file', 'write_file']);
    const r = await client.callTool({ name: 'write_file', arguments: { path: '/x' } });
    expect(r.content).toEqual([{ type: 'text', text: 'written' }]);
  });
});

describe('MCP gateway: the server-to-client stream (GET)', () => {
  it("delivers a server's unsolicited notification (tools/list_changed) on the client's GET stream", async () => {
    const getsBefore = f.weather.gets;
    const { client: listener, transport, changes } = await f.connectListening(f.replicaB, 'assistant');
    // The SDK client opens its GET stream on its own after initialize; wait until it reached the server.
    await eventually(() => f.weather.gets > getsBefore, 3000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The change is caused through the other replica: the stream on replica B still carries it.
    const { client: other } = await f.connect(f.replicaA, 'assistant', transport.sessionId);
    await other.callTool({ name: 'weather_add_tool', arguments: {} });
    await eventually(() => changes() > 0, 3000);
    expect(changes()).toBeGreaterThan(0);
    const { tools } = await listener.listTools();
    expect(tools.some((t) => t.name.startsWith('weather_added_'))).toBe(true);
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
    ['expired', () => sealSession(claims('assistant', Date.now() - 25 * 3_600_000), keyOf(f.replicaA)[0]!)],
    [
      'sealed with a foreign key',
      () => sealSession(claims('assistant', Date.now()), { id: 'k1', key: randomBytes(32) }),
    ],
    ['of another consumer', () => sealSession(claims('solo', Date.now()), keyOf(f.replicaA)[0]!)],
    ['not a token at all', () => 'not-a-session'],
  ])('refuses a token %s with 404', async (_name, make) => {
    const { sessionId } = await connect(f.replicaA, 'assistant');
    const res = await rawPost(f.replicaA, 'assistant', { 'mcp-session-id': make(sessionId) }, toolsList);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { message: 'Session not found' } });
  });

  it("refuses one consumer's live session on another consumer's endpoint", async () => {
    const { sessionId } = await connect(f.replicaA, 'solo');
    const res = await rawPost(f.replicaA, 'assistant', { 'mcp-session-id': sessionId }, toolsList);
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
    const { sessionId } = await connect(f.replicaA, 'assistant');
    const extra = _name === 'no session id' ? headers : { 'mcp-session-id': sessionId, ...headers };
    const res = await rawPost(f.replicaA, 'assistant', extra, body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({
      jsonrpc: '2.0',
      error: { code: expect.any(Number), message: expect.any(String) },
    });
  });

  it('answers GET with 405 when no server of the session offers a stream (stateless servers)', async () => {
    const { sessionId } = await connect(f.replicaA, 'solo');
    const res = await fetch(f.url(f.replicaA, 'solo'), {
      headers: { ...mcpHeaders('solo'), accept: 'text/event-stream', 'mcp-session-id': sessionId },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, DELETE');
  });
});

describe('MCP gateway: any replica continues any session', () => {
  it('initialize on one replica, list, call and delete on the other: the upstream sees one session', async () => {
    const initializesBefore = f.weather.initializes;
    const sessionsBefore = new Set(f.weather.sessionIds);
    const { sessionId } = await connect(f.replicaA, 'assistant');
    expect(f.weather.initializes).toBe(initializesBefore + 1);

    const { client: other, transport } = await f.connect(f.replicaB, 'assistant', sessionId);
    const { tools } = await other.listTools();
    expect(tools.map((t) => t.name)).toContain('forecast');
    const r = await other.callTool({ name: 'forecast', arguments: { city: 'Rome' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Sunny in Rome' }]);
    expect(f.weather.initializes).toBe(initializesBefore + 1);
    const newSessions = [...f.weather.sessionIds].filter((s) => !sessionsBefore.has(s));
    expect(newSessions).toHaveLength(1);

    const deletesBefore = f.weather.deletes;
    await transport.terminateSession();
    expect(f.weather.deletes).toBe(deletesBefore + 1);
    for (const replica of [f.replicaA, f.replicaB]) {
      const res = await rawPost(replica, 'assistant', { 'mcp-session-id': sessionId }, toolsList);
      expect(res.status).toBe(404);
    }
  });
});
