import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  LATEST_PROTOCOL_VERSION,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  LIVE_RETRY_MS,
  startResumableServer,
  startWeatherServer,
  type TestMcpServer,
} from '@tollgate/dataplane/testing/mcp-servers';
import { until } from '@tollgate/dataplane/testing/approvals';
import {
  closeClients,
  connectMcp,
  initializeRequest,
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
  const servers =
    '    servers: [{registryRef: {name: live}, prefix: live}, {registryRef: {name: weather}, prefix: weather}]\n';
  yaml = `${mcpGatewayYaml('mcp-resume-e2e-session-key-0123456789', '', 'agent: key-agent, masked: key-masked')}${mcpRegistryYaml(
    'live',
    live.url,
  )}${mcpRegistryYaml('weather', weather.url)}${mcpConsumerHeadYaml('agent')}${servers}${mcpConsumerHeadYaml('masked')}${servers}---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: mask-results}
spec:
  targetRefs: [{kind: Consumer, name: masked}]
  plugins:
    promptGuard: {action: Mask, detectors: [Email], applyTo: [Response]}
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
  const res = await post(replica, undefined, initializeRequest('e2e'));
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
  retry?: number;
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
  return { res, ...sseReader(res), close: () => abort.abort() };
}

/** The events of an SSE response one by one (`next`), with their `retry` field, until it ends (`rest`). */
function sseReader(res: Response) {
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
        const [retry] = field('retry');
        return {
          ...(id !== undefined ? { id } : {}),
          ...(retry !== undefined ? { retry: Number(retry) } : {}),
          data: field('data').join('\n'),
        };
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
  /** Every event left, up to the end of the stream. */
  async function rest(): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    for (;;) {
      try {
        events.push(await next());
      } catch {
        return events;
      }
    }
  }
  return { next, message, rest };
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

/** A tools/call of live_steps POSTed by hand to `replica`, its answer taken as `accept` says. */
function callSteps(
  replica: InProcessTollgate,
  session: string,
  args: { count: number; ms: number; closeAfter?: number },
  o: { accept: string; protocol?: string },
): Promise<Response> {
  return fetch(`${replica.base}/agent/mcp`, {
    method: 'POST',
    headers: {
      ...headers(session),
      ...(o.protocol !== undefined ? { 'mcp-protocol-version': o.protocol } : {}),
      'content-type': 'application/json',
      accept: o.accept,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'live_steps', arguments: args, _meta: { progressToken: 'p' } },
    }),
  });
}

/** The messages of some SSE events (priming events left out). */
function messagesOf(events: SseEvent[]): unknown[] {
  return events.filter((e) => e.data !== '').map((e) => JSON.parse(e.data) as unknown);
}

const progress = (n: number) => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 'p', progress: n, total: 4 },
});
const answered = { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: '4 steps' }] } };

describe('MCP answers (POST streams) resumed on another replica (Last-Event-ID)', () => {
  it('a server that ends its answer early (SSE polling): sealed ids and its retry reach the client, whose GET on another replica gets the rest and the response, once', async () => {
    const session = await initialize(a);
    const res = await callSteps(
      a,
      session,
      { count: 4, ms: 30, closeAfter: 2 },
      { accept: 'application/json, text/event-stream' },
    );
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const before = await sseReader(res).rest();
    // The server's priming event, its id sealed, its retry passed on; then the progress it sent.
    expect(before[0]).toEqual({
      id: expect.stringMatching(/^e1\.k1\.[A-Za-z0-9_-]+$/),
      retry: LIVE_RETRY_MS,
      data: '',
    });
    expect(messagesOf(before)).toEqual([progress(1), progress(2)]);
    for (const e of before) expect(e.id).toMatch(/^e1\.k1\./);
    expect(new Set(before.map((e) => e.id)).size).toBe(before.length);

    const resumed = await openStream(b, session, before.at(-1)?.id);
    expect(resumed.res.status).toBe(200);
    const after = await resumed.rest(); // ends with the response
    expect(messagesOf(after)).toEqual([progress(3), progress(4), answered]);
    for (const e of after) expect(e.id).toMatch(/^e1\.k1\./);
  });

  it('resuming from an earlier id of the answer replays what followed it, on any replica', async () => {
    const session = await initialize(b);
    const res = await callSteps(
      b,
      session,
      { count: 4, ms: 30, closeAfter: 2 },
      { accept: 'application/json, text/event-stream' },
    );
    const before = await sseReader(res).rest();
    const afterFirst = before.find((e) => e.data !== '')?.id; // the event of progress 1
    const resumed = await openStream(a, session, afterFirst);
    expect(messagesOf(await resumed.rest())).toEqual([progress(2), progress(3), progress(4), answered]);
  });

  it('a client that cannot come back itself (JSON, or a protocol before 2025-11-25): the gateway resumes the answer for it', async () => {
    const session = await initialize(a);
    const gets = live.gets;
    const json = await callSteps(
      a,
      session,
      { count: 4, ms: 30, closeAfter: 2 },
      { accept: 'application/json' },
    );
    expect(await json.json()).toEqual(answered);
    expect(live.gets).toBeGreaterThan(gets); // the gateway's GET with Last-Event-ID

    const sse = await callSteps(
      b,
      session,
      { count: 4, ms: 30, closeAfter: 2 },
      { accept: 'application/json, text/event-stream', protocol: '2025-06-18' },
    );
    const events = await sseReader(sse).rest();
    // No priming event (this client cannot take one), the server's retry on the first event.
    expect(events[0]?.retry).toBe(LIVE_RETRY_MS);
    expect(messagesOf(events)).toEqual([progress(1), progress(2), progress(3), progress(4), answered]);
  });

  it("an id of another session's answer is a 400; so is an altered one", async () => {
    const [session, other] = await Promise.all([initialize(a), initialize(a)]);
    const res = await callSteps(
      a,
      other,
      { count: 4, ms: 30, closeAfter: 2 },
      { accept: 'application/json, text/event-stream' },
    );
    const id = (await sseReader(res).rest()).at(-1)?.id ?? '';
    expect(id).toMatch(/^e1\.k1\./); // a real id of the other session's answer
    for (const bad of [id, `${id.slice(0, -3)}${id.endsWith('AAA') ? 'BBB' : 'AAA'}`]) {
      const r = await fetch(`${b.base}/agent/mcp`, {
        headers: { ...headers(session), accept: 'text/event-stream', 'last-event-id': bad },
      });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ id: null, error: { code: -32600 } });
    }
  });

  /** An SDK client whose requests a balancer sends where `route` says; the GETs it sent with a Last-Event-ID, by replica. */
  async function balancedClient(route: (method: string) => InProcessTollgate, consumer = 'agent') {
    const resumedOn: string[] = [];
    const errors: string[] = [];
    const { client } = await connectMcp(clients, `${a.base}/${consumer}/mcp`, {
      headers: mcpHeaders(consumer),
      transport: {
        fetch: (url, init) => {
          const target = route(init?.method ?? 'GET');
          if (new Headers(init?.headers).get('last-event-id') !== null) resumedOn.push(target.base);
          return fetch(String(url).replace(a.base, target.base), init);
        },
        reconnectionOptions: {
          initialReconnectionDelay: 100,
          maxReconnectionDelay: 1000,
          reconnectionDelayGrowFactor: 1.5,
          maxRetries: 10,
        },
      },
    });
    client.onerror = (e) => errors.push(e.message);
    return { client, resumedOn, errors };
  }

  async function steps(client: Client, args: Record<string, unknown>, onProgress: (n: number) => void) {
    return client.callTool({ name: 'live_steps', arguments: args }, CallToolResultSchema, {
      onprogress: (p) => onProgress(p.progress),
      timeout: 15_000,
    });
  }

  it("the SDK client's own reconnection after the server ends the answer early: the rest from another replica, once", async () => {
    const { client, resumedOn, errors } = await balancedClient((method) => (method === 'GET' ? b : a));
    const seen: number[] = [];
    const result = await steps(client, { count: 4, ms: 30, closeAfter: 2 }, (n) => seen.push(n));
    expect(result.content).toEqual([{ type: 'text', text: '4 steps' }]);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(resumedOn).toEqual([b.base]);
    expect(errors.filter((e) => /unknown message ID/i.test(e))).toEqual([]);
  });

  it("the SDK client's own reconnection after its replica dies mid-call: the rest from another replica, once", async () => {
    const doomed = await standaloneOn(yaml);
    let target = doomed;
    const { client, resumedOn, errors } = await balancedClient(() => target);
    const seen: number[] = [];
    let stopped: Promise<void> | undefined;
    const result = await steps(client, { count: 4, ms: 250 }, (n) => {
      seen.push(n);
      if (n === 1) {
        target = b;
        stopped = doomed.stop();
      }
    });
    await stopped;
    expect(result.content).toEqual([{ type: 'text', text: '4 steps' }]);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(resumedOn).toContain(b.base);
    expect(errors.filter((e) => /unknown message ID/i.test(e))).toEqual([]);
  });

  it("a resumed answer gets the consumer's policies as the POST's would (promptGuard masks the result)", async () => {
    const { client } = await balancedClient((method) => (method === 'GET' ? b : a), 'masked');
    const seen: number[] = [];
    const result = await steps(
      client,
      { count: 4, ms: 30, closeAfter: 2, note: 'mail ann@example.com' },
      (n) => seen.push(n),
    );
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(result.content).toEqual([{ type: 'text', text: '4 steps: mail [EMAIL]' }]);
  });
});
