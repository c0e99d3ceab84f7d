import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  LATEST_PROTOCOL_VERSION,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  startResumableServer,
  startWeatherServer,
  type TestMcpServer,
} from '@tollgate/dataplane/testing/mcp-servers';
import { until } from '@tollgate/dataplane/testing/approvals';
import {
  closeClients,
  connectMcp,
  mcpConsumerHeadYaml,
  mcpGatewayYaml,
  mcpHeaders,
  mcpRegistryYaml,
} from './mcp-harness';
import { sealPosition } from '@tollgate/dataplane/mcp/event-id';
import { sessionKeysOf, type SessionKey } from '@tollgate/dataplane/mcp/session';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * Resumable GET streams across replicas: Tollgate (standalone, in-process, several replicas on the
 * same manifests) in front of "live", an SDK server with an event store (resumable), and "weather",
 * a stateful SDK server without one. A client's stream on a replica that dies is resumed on another
 * with `Last-Event-ID`: by hand, and by the SDK client's own reconnection.
 */
jest.setTimeout(30_000);

let live: TestMcpServer;
let weather: TestMcpServer;
let yaml: string;
let a: InProcessTollgate;
let b: InProcessTollgate;
const clients: Client[] = [];

beforeAll(async () => {
  [live, weather] = await Promise.all([startResumableServer(), startWeatherServer()]);
  yaml = `${mcpGatewayYaml('mcp-resume-e2e-session-key-0123456789', '', 'agent: key-agent')}${mcpRegistryYaml(
    'live',
    live.url,
  )}${mcpRegistryYaml('weather', weather.url)}${mcpConsumerHeadYaml('agent')}    servers: [{registryRef: {name: live}, prefix: live}, {registryRef: {name: weather}, prefix: weather}]
`;
  [a, b] = await Promise.all([standaloneOn(yaml), standaloneOn(yaml)]);
});

afterAll(async () => {
  await closeClients(clients);
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([live?.close(), weather?.close()]);
});

function headers(session?: string): Record<string, string> {
  return {
    ...mcpHeaders('agent'),
    'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    ...(session !== undefined ? { 'mcp-session-id': session } : {}),
  };
}

async function post(
  replica: InProcessTollgate,
  session: string | undefined,
  body: object,
): Promise<Response> {
  return fetch(`${replica.base}/agent/mcp`, {
    method: 'POST',
    headers: { ...headers(session), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
}

/** A session started on `replica` by hand (initialize, initialized): its id. */
async function initialize(replica: InProcessTollgate): Promise<string> {
  const res = await post(replica, undefined, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'e2e', version: '1' },
    },
  });
  await res.text();
  const session = res.headers.get('mcp-session-id') ?? '';
  expect(session).not.toBe('');
  await (await post(replica, session, { jsonrpc: '2.0', method: 'notifications/initialized' })).text();
  return session;
}

/** Makes "live" send logging messages "{tag} {from}" … on the session's GET stream. */
async function announce(replica: InProcessTollgate, session: string, tag: string, from: number, count = 1) {
  const res = await post(replica, session, {
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/call',
    params: { name: 'live_announce', arguments: { tag, from, count } },
  });
  expect(await res.json()).toMatchObject({ result: { content: [{ text: `announced ${count}` }] } });
}

async function callTool(replica: InProcessTollgate, session: string, name: string): Promise<void> {
  const res = await post(replica, session, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name } });
  expect(res.status).toBe(200);
  await res.text();
}

interface SseEvent {
  id?: string;
  data: string;
}

/** A GET stream opened by hand: its response, and its events one by one. */
async function openStream(replica: InProcessTollgate, session: string, lastEventId?: string) {
  const abort = new AbortController();
  const res = await fetch(`${replica.base}/agent/mcp`, {
    headers: {
      ...headers(session),
      accept: 'text/event-stream',
      ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}),
    },
    signal: abort.signal,
  });
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  async function next(): Promise<SseEvent> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          lines.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trimStart());
        const [id] = field('id');
        return { ...(id !== undefined ? { id } : {}), data: field('data').join('\n') };
      }
      const chunk = await reader?.read();
      if (!chunk || chunk.done) throw new Error('the stream ended');
      buffer += chunk.value;
    }
  }
  /** The next event that carries a message (priming events skipped). */
  async function message(): Promise<{ id: string; message: { method: string; params: { data?: unknown } } }> {
    for (;;) {
      const e = await next();
      if (e.data !== '') return { id: e.id ?? '', message: JSON.parse(e.data) };
    }
  }
  return { res, next, message, close: () => abort.abort() };
}

describe('MCP GET streams resumed on another replica (Last-Event-ID)', () => {
  it('a stream whose replica dies resumes on another: exactly the events after the last one seen, none twice', async () => {
    const doomed = await standaloneOn(yaml);
    const session = await initialize(doomed);
    const first = await openStream(doomed, session);
    expect(first.res.status).toBe(200);
    // The priming event: an id (sealed position) and no data.
    expect(await first.next()).toEqual({ id: expect.stringMatching(/^e1\.k1\.[A-Za-z0-9_-]+$/), data: '' });
    await announce(b, session, 'a', 1, 3);
    const seen = [await first.message(), await first.message(), await first.message()];
    expect(seen.map((e) => e.message.params.data)).toEqual(['a 1', 'a 2', 'a 3']);
    expect(new Set(seen.map((e) => e.id)).size).toBe(3);
    // The upstream event ids are sealed: the client cannot read them.
    for (const e of seen) expect(e.id).not.toContain('_GET_stream');

    await doomed.stop();
    await announce(b, session, 'a', 4, 2); // no stream open: the server keeps them
    const resumed = await openStream(b, session, seen[2]?.id);
    expect(resumed.res.status).toBe(200);
    await announce(b, session, 'a', 6);
    const after = [await resumed.message(), await resumed.message(), await resumed.message()];
    expect(after.map((e) => e.message.params.data)).toEqual(['a 4', 'a 5', 'a 6']);
    resumed.close();
  });

  it("a server without resumability: its events get a gateway id, and resuming from one keeps the other server's place", async () => {
    const session = await initialize(a);
    const first = await openStream(a, session);
    await first.next();
    await announce(a, session, 'b', 1);
    const one = await first.message();
    expect(one.message.params.data).toBe('b 1');
    await callTool(a, session, 'weather_add_tool');
    const changed = await first.message();
    expect(changed.message.method).toBe('notifications/tools/list_changed');
    expect(changed.id).toMatch(/^e1\.k1\./);
    expect(changed.id).not.toBe(one.id);
    first.close();

    await announce(b, session, 'b', 2); // no stream open: the server keeps it
    const resumed = await openStream(b, session, changed.id);
    expect(resumed.res.status).toBe(200);
    await announce(b, session, 'b', 3);
    const after = [await resumed.message(), await resumed.message()];
    expect(after.map((e) => e.message.params.data)).toEqual(['b 2', 'b 3']);
    resumed.close();
  });

  it('a server that cannot resume from its id (unknown to its store) starts its stream afresh', async () => {
    const session = await initialize(a);
    const g = a.tollgate.dataplane.store.current.resources.get('Gateway/default/agents');
    const keys = sessionKeysOf(g?.kind === 'Gateway' ? (g.body.mcp?.sessionKeys ?? []) : []);
    const forged = sealPosition(new Map([['default/live', '999.unknown']]), keys[0] as SessionKey, session);
    const stream = await openStream(a, session, forged);
    expect(stream.res.status).toBe(200);
    await announce(a, session, 'd', 1);
    expect((await stream.message()).message.params.data).toBe('d 1');
    stream.close();
  });

  it.each([
    ['a garbage', () => 'not-an-event-id'],
    ['a tampered', (id: string) => `${id.slice(0, -3)}${id.endsWith('AAA') ? 'BBB' : 'AAA'}`],
    ['a too long', (id: string) => `${id}${'A'.repeat(9000)}`],
    ["another session's", (_: string, other: string) => other],
  ])('%s Last-Event-ID is a 400 JSON-RPC error; the proxy goes on serving', async (_, make) => {
    const [session, otherSession] = await Promise.all([initialize(a), initialize(a)]);
    const own = await openStream(a, session);
    const ownId = (await own.next()).id ?? '';
    own.close();
    const other = await openStream(a, otherSession);
    const otherId = (await other.next()).id ?? '';
    other.close();
    const res = await fetch(`${a.base}/agent/mcp`, {
      headers: { ...headers(session), accept: 'text/event-stream', 'last-event-id': make(ownId, otherId) },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32600,
        message: "Bad Request: Last-Event-ID is not an event id of this session's stream",
      },
    });
    const again = await openStream(a, session, ownId);
    expect(again.res.status).toBe(200);
    again.close();
  });

  it("the SDK client's own reconnection, through a balancer, lands on another replica and loses nothing", async () => {
    const doomed = await standaloneOn(yaml);
    let target = doomed;
    const { client, transport } = await connectMcp(clients, `${doomed.base}/agent/mcp`, {
      headers: mcpHeaders('agent'),
      transport: {
        fetch: (url, init) => fetch(String(url).replace(doomed.base, target.base), init),
        reconnectionOptions: {
          initialReconnectionDelay: 300,
          maxReconnectionDelay: 1000,
          reconnectionDelayGrowFactor: 1.5,
          maxRetries: 10,
        },
      },
    });
    const received: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      received.push(String(n.params.data));
    });
    const session = transport.sessionId ?? '';
    // The SDK opens its GET stream on its own after initialize: announce until one arrives.
    for (let i = 1; received.length === 0 && i <= 50; i++) {
      await announce(doomed, session, 'warm', i);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(received.length).toBeGreaterThan(0);

    target = b;
    await doomed.stop();
    await announce(b, session, 'c', 1, 3);
    await until(() => received.filter((m) => m.startsWith('c ')).length >= 3, 10_000);
    await announce(b, session, 'c', 4);
    await until(() => received.filter((m) => m.startsWith('c ')).length >= 4, 10_000);
    expect(received.filter((m) => m.startsWith('c '))).toEqual(['c 1', 'c 2', 'c 3', 'c 4']);
    expect(new Set(received).size).toBe(received.length);
  });
});
