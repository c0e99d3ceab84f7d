import type { CompiledRegistry } from '@tollgate/protocol';
import type { Json } from '../formats/wire';
import { startLegacySseServer, type LegacyMcpServer } from '../testing/mcp-sse-server';
import { startFilesServer, weatherServer, type TestMcpServer } from '../testing/mcp-servers';
import { registry } from '../testing/resources';
import { McpUpstreamError, McpUpstreams, type McpRegistry, type UpstreamSessionRef } from './upstream';

/**
 * Servers of transport SSE (the legacy HTTP+SSE transport) behind `McpUpstreams`: a real SDK
 * server on `SSEServerTransport`, reached by one or two "replicas" (McpUpstreams instances).
 * The gateway end to end (SDK client, two tollgate processes) is e2e/mcp-sse.test.ts.
 */
jest.setTimeout(20_000);

let legacy: LegacyMcpServer;
let mute: LegacyMcpServer;
let foreign: LegacyMcpServer;
let modern: TestMcpServer;
const replicas: McpUpstreams[] = [];

beforeAll(async () => {
  [legacy, mute, foreign, modern] = await Promise.all([
    startLegacySseServer('weather', weatherServer()),
    startLegacySseServer('mute', weatherServer(), { endpoint: 'none' }),
    startLegacySseServer('foreign', weatherServer(), { endpoint: 'foreign' }),
    startFilesServer(),
  ]);
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await Promise.all([legacy.close(), mute.close(), foreign.close(), modern.close()]);
});

function replica(maxSseConnectionsPerServer?: number): McpUpstreams {
  const r = new McpUpstreams(maxSseConnectionsPerServer ? { maxSseConnectionsPerServer } : {});
  replicas.push(r);
  return r;
}

function sse(name: string, url: string, timeouts: Partial<CompiledRegistry['timeouts']> = {}): McpRegistry {
  return registry(name, {
    provider: 'mcp',
    baseUrl: '',
    mcp: { transport: 'SSE', url, headers: {} },
    timeouts: { connectMs: 1000, requestMs: 2000, idleMs: 2000, ...timeouts },
  }).body as McpRegistry;
}

const INIT_PARAMS = {
  protocolVersion: '2025-06-18',
  capabilities: { sampling: {} },
  clientInfo: { name: 'unit', version: '1' },
};
const signal = () => AbortSignal.timeout(10_000);

async function all(messages: AsyncIterable<Json>): Promise<Json[]> {
  const out: Json[] = [];
  for await (const m of messages) out.push(m);
  return out;
}

/** Initializes a session on `r`; the ref another request (on any replica) continues it with. */
async function initialize(r: McpUpstreams, reg: McpRegistry, idleMs?: number): Promise<UpstreamSessionRef> {
  const reply = await r.post(
    reg,
    { jsonrpc: '2.0', id: 'init', method: 'initialize', params: INIT_PARAMS },
    { idleMs },
    signal(),
  );
  const [answer] = await all(reply.messages);
  expect(answer).toMatchObject({ id: 'init', result: { serverInfo: { name: 'weather' } } });
  expect(reply.sessionId).toEqual(expect.any(String));
  const ref = {
    sessionId: reply.sessionId,
    protocolVersion: '2025-06-18',
    initialize: { capabilities: INIT_PARAMS.capabilities, clientInfo: INIT_PARAMS.clientInfo },
    ...(idleMs !== undefined ? { idleMs } : {}),
  };
  await r.post(reg, { jsonrpc: '2.0', method: 'notifications/initialized' }, ref, signal());
  return ref;
}

const call = (id: Json[string], name: string, args: Json, meta?: Json): Json => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
});

/** Connections the replica holds to the legacy server (/config_dump shows the same). */
const held = (r: McpUpstreams) => r.health()['default/legacy']?.connections ?? 0;

const until = async (ok: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
};

describe('MCP servers of the legacy HTTP+SSE transport', () => {
  it("answers a call as JSON, taken off the session's stream with the caller's id", async () => {
    const r = replica();
    const reg = sse('legacy', legacy.url);
    const ref = await initialize(r, reg);
    const reply = await r.post(reg, call(42, 'get_forecast', { city: 'Oslo' }), ref, signal());
    expect(reply.streamed).toBe(false);
    expect(await all(reply.messages)).toEqual([
      { jsonrpc: '2.0', id: 42, result: { content: [{ type: 'text', text: 'Sunny in Oslo' }] } },
    ]);
    expect(legacy.notifications).toContain('notifications/initialized');
  });

  it('streams progress before the answer, with the caller’s own progress token', async () => {
    const r = replica();
    const reg = sse('legacy', legacy.url);
    const ref = await initialize(r, reg);
    const reply = await r.post(
      reg,
      call(1, 'count_slowly', { n: 2 }, { progressToken: 'mine' }),
      ref,
      signal(),
    );
    expect(reply.streamed).toBe(true);
    const messages = await all(reply.messages);
    expect(
      messages.map((m) => (m.method === undefined ? 'answer' : (m.params as Json).progressToken)),
    ).toEqual(['mine', 'mine', 'answer']);
  });

  it('keeps concurrent requests of a session apart, even with the same client id', async () => {
    const r = replica();
    const reg = sse('legacy', legacy.url);
    const ref = await initialize(r, reg);
    const [slow, fast] = await Promise.all([
      r.post(reg, call('same', 'sleep', { ms: 300 }), ref, signal()).then((x) => all(x.messages)),
      r.post(reg, call('same', 'get_forecast', { city: 'Rome' }), ref, signal()).then((x) => all(x.messages)),
    ]);
    expect(slow).toEqual([
      { jsonrpc: '2.0', id: 'same', result: { content: [{ type: 'text', text: 'awake' }] } },
    ]);
    expect(fast).toEqual([
      { jsonrpc: '2.0', id: 'same', result: { content: [{ type: 'text', text: 'Sunny in Rome' }] } },
    ]);
  });

  it('continues a session on another replica: a new connection initialized with the client parameters', async () => {
    const a = replica();
    const b = replica();
    const reg = sse('legacy', legacy.url);
    const ref = await initialize(a, reg);
    const [initializes, gets] = [legacy.initializes, legacy.gets];
    const reply = await b.post(reg, call(2, 'get_forecast', { city: 'Lima' }), ref, signal());
    expect(await all(reply.messages)).toMatchObject([
      { id: 2, result: { content: [{ text: 'Sunny in Lima' }] } },
    ]);
    expect(legacy.gets).toBe(gets + 1);
    expect(legacy.initializes).toBe(initializes + 1);
    // The same replica again: its connection is reused.
    await all((await b.post(reg, call(3, 'get_forecast', { city: 'Kyiv' }), ref, signal())).messages);
    expect(legacy.gets).toBe(gets + 1);
  });

  it('refuses a session without the parameters to open it again (the client starts a new one: 404)', async () => {
    const reg = sse('legacy', legacy.url);
    await expect(
      replica().post(reg, call(1, 'get_forecast', { city: 'x' }), { sessionId: 'unknown-here' }, signal()),
    ).rejects.toMatchObject({ kind: 'session-gone' });
  });

  it('opens a dropped stream again on the next request', async () => {
    const r = replica();
    const reg = sse('legacy', legacy.url);
    const ref = await initialize(r, reg);
    const gets = legacy.gets;
    legacy.dropStreams();
    await until(() => legacy.openStreams === 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reply = await r.post(reg, call(4, 'get_forecast', { city: 'Baku' }), ref, signal());
    expect(await all(reply.messages)).toMatchObject([
      { id: 4, result: { content: [{ text: 'Sunny in Baku' }] } },
    ]);
    expect(legacy.gets).toBe(gets + 1);
  });

  it('sends a request again on a new connection when the server forgot the one it was given (404)', async () => {
    const r = replica();
    const reg = sse('legacy', legacy.url);
    const ref = await initialize(r, reg);
    const [gets, initializes] = [legacy.gets, legacy.initializes];
    legacy.forgetSessions();
    const reply = await r.post(reg, call(6, 'get_forecast', { city: 'Suva' }), ref, signal());
    expect(await all(reply.messages)).toMatchObject([
      { id: 6, result: { content: [{ text: 'Sunny in Suva' }] } },
    ]);
    expect([legacy.gets, legacy.initializes]).toEqual([gets + 1, initializes + 1]);
  });

  it("delivers the server's messages outside any request to a listener", async () => {
    const r = replica();
    const reg = sse('legacy', legacy.url);
    const ref = await initialize(r, reg);
    const stream = await r.listen(reg, ref, signal());
    if (!stream) throw new Error('no stream');
    const it = stream[Symbol.asyncIterator]();
    const next = it.next();
    await legacy.toolsChanged();
    expect((await next).value).toEqual({
      message: { jsonrpc: '2.0', method: 'notifications/tools/list_changed' },
    });
    await it.return?.();
  });

  it('closes the connection on delete, and an unused one after the idle time', async () => {
    const r = replica();
    const reg = sse('legacy', legacy.url);
    const before = legacy.openStreams;
    const ref = await initialize(r, reg, 1000);
    expect(held(r)).toBe(1);
    expect(await r.delete(reg, ref, signal())).toBe(200);
    await until(() => legacy.openStreams === before);
    expect(legacy.openStreams).toBe(before);
    expect(held(r)).toBe(0);

    await initialize(r, reg, 1000);
    expect(held(r)).toBe(1);
    await until(() => held(r) === 0, 4000);
    expect(held(r)).toBe(0);
  });

  it('holds at most the cap of connections per server: the least recently used idle one goes', async () => {
    const r = replica(2);
    const reg = sse('legacy', legacy.url);
    const first = await initialize(r, reg);
    await initialize(r, reg);
    await initialize(r, reg);
    expect(held(r)).toBe(2);
    // The first session's connection was closed; its next request opens one again (and another goes).
    const gets = legacy.gets;
    await all((await r.post(reg, call(5, 'get_forecast', { city: 'Doha' }), first, signal())).messages);
    expect(legacy.gets).toBe(gets + 1);
    expect(held(r)).toBe(2);
  });

  it.each([
    [
      'never sends the endpoint event',
      () => mute.url,
      /sent no endpoint event within 1s: is it a legacy HTTP\+SSE server/,
    ],
    [
      'names an endpoint on another origin',
      () => foreign.url,
      /sent an unusable endpoint event .* must name a URL on http:\/\/127\.0\.0\.1/,
    ],
    [
      'speaks Streamable HTTP (its GET stream names no endpoint)',
      () => modern.url,
      /sent no endpoint event within 1s: is it a legacy HTTP\+SSE server/,
    ],
    [
      'answers the stream request with an error',
      () => legacy.url.replace(/\/sse$/, '/nothing'),
      /answered HTTP 404 to its event stream request: is it a legacy HTTP\+SSE server/,
    ],
    ['is unreachable', () => 'http://127.0.0.1:1/sse', /is unreachable/],
  ])(
    'fails initialize with a clear error when the server %s, without hanging',
    async (_name, url, message) => {
      const started = Date.now();
      const err = await replica()
        .post(
          sse('odd', url(), { requestMs: 1000 }),
          { jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS },
          {},
          signal(),
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpUpstreamError);
      expect((err as Error).message).toMatch(message);
      expect(Date.now() - started).toBeLessThan(3000);
    },
  );
});
