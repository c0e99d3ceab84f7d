import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Message, SendMessageRequest, TaskState, type Task } from '@a2a-js/sdk';
import {
  ClientFactory,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  type Client,
} from '@a2a-js/sdk/client';
import type { CompiledRegistry } from '@tollgate/protocol';
import { ConfigStore } from '../config/store';
import { createProxy } from '../proxy/app';
import { AgentClient } from './upstream';
import { startDataplane, type Dataplane } from '../server';
import { createMetrics } from '../telemetry/metrics';
import { startTestAgent, type TestAgent } from '../testing/a2a-agent';
import { startMockServer, writeStream, type MockServer } from '../testing/mock-server';
import { proxyClient } from '../testing/proxy-client';
import { consumer, gateway, registry } from '../testing/resources';
import { policy } from '../testing/usage-proxy';
import { createLogger } from '../telemetry/logger';

/**
 * The A2A endpoint end to end: the official SDK's client against the gateway, the SDK's server
 * (a real agent) behind it. The gateway answers at 127.0.0.1 (the Gateway's hostname), so the card
 * URL is what the client reaches.
 */
const AGENT_TOKEN = 'agent-secret';
let agent: TestAgent;
/** A misbehaving agent: a stream cut after its first event, HTML for JSON, a 401 for our credential. */
let broken: MockServer;
let dp: Dataplane;
const store = new ConfigStore();
let base: string;
const logLines: string[] = [];

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const a2aSettings = (headers: Record<string, string> = {}): CompiledRegistry['a2a'] => ({
  cardPath: '/.well-known/agent-card.json',
  cardCacheTtlMs: 30_000,
  headers,
});

beforeAll(async () => {
  agent = await startTestAgent(AGENT_TOKEN);
  broken = await startMockServer(async ({ req, res, raw }) => {
    const method = raw.length > 0 ? (JSON.parse(raw.toString()) as { method: string }).method : 'card';
    const echoed = `you sent ${String(req.headers.authorization)}`;
    if (method === 'x/echo') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32602, message: echoed } }));
    } else if (method === 'x/echo-stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = `data: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { echoed } })}\n\n`;
      // The credential is cut in two by the writes ("brok" | "en-..."): whole events are scrubbed.
      const cut = event.indexOf('sent') + 16;
      await writeStream(res, [event.slice(0, cut), event.slice(cut), event], {
        kind: 'ok',
        chunkDelayMs: 20,
      });
    } else if (method === 'SendStreamingMessage') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = `data: ${JSON.stringify({ jsonrpc: '2.0', id: 5, result: { task: { id: 't1', contextId: 'c1' } } })}\n\n`;
      await writeStream(res, [event, event], { kind: 'dieMidStream', afterChunks: 1 });
    } else if (method === 'CancelTask') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 9, error: { code: -32603, message: 'agent crashed' } }));
    } else if (method === 'SendMessage') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>');
    } else {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"who are you"}');
    }
  });
  const dead = await deadPort();
  const agents = (...names: string[]) => ({
    a2a: { agents: names.map((n) => ({ name: n, registry: `default/${n}` })) },
  });
  store.replaceAll([
    gateway('gw', { hostnames: ['127.0.0.1'] }),
    registry('planner', {
      provider: 'a2a',
      baseUrl: agent.url,
      apiKey: AGENT_TOKEN,
      a2a: a2aSettings({ 'x-team': 'blue' }),
    }),
    registry('dead', { provider: 'a2a', baseUrl: `http://127.0.0.1:${dead}`, a2a: a2aSettings() }),
    registry('broken', {
      provider: 'a2a',
      baseUrl: `http://127.0.0.1:${broken.port}`,
      apiKey: 'broken-agent-credential',
      a2a: a2aSettings(),
    }),
    consumer('app', 'gw', ['key-app'], [], agents('planner', 'dead', 'broken')),
    consumer('other', 'gw', ['key-other'], [], agents()),
    consumer('limited', 'gw', ['key-limited'], [], agents('planner')),
    policy(
      'two-per-minute',
      {
        rateLimit: {
          requests: 2,
          windowMs: 60_000,
          algorithm: 'SlidingWindow',
          key: 'Consumer',
          failureMode: 'FailOpen',
        },
      },
      [{ kind: 'Consumer', name: 'default/limited' }],
    ),
    policy(
      'browser-clients',
      {
        cors: {
          allowOrigins: ['https://inspector.example.com'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['authorization', 'content-type', 'a2a-version'],
          exposeHeaders: ['x-request-id'],
          allowCredentials: false,
        },
      },
      [{ kind: 'Consumer', name: 'default/app' }],
    ),
  ]);
  const logger = createLogger({
    destination: new Writable({
      write(chunk, _e, cb) {
        logLines.push(String(chunk));
        cb();
      },
    }),
  });
  dp = await startDataplane({ port: 0, opsPort: 0, store, logger });
  base = `http://127.0.0.1:${dp.port}`;
});

afterAll(async () => {
  await dp.close(0);
  await agent.close();
  await broken.close();
});

/** fetch with the consumer's key, as an A2A client configured for the gateway sends it. */
const keyed =
  (key: string): typeof fetch =>
  (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${key}`);
    return fetch(input, { ...init, headers });
  };

async function clientFor(consumerSlug: string, agentName: string, key: string): Promise<Client> {
  const factory = new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl: keyed(key) })],
    cardResolver: new DefaultAgentCardResolver({ fetchImpl: keyed(key) }),
  });
  return factory.createFromUrl(`${base}/${consumerSlug}/a2a/${agentName}/`);
}

const userMessage = (text: string) =>
  SendMessageRequest.fromJSON({
    message: Message.toJSON(
      Message.fromJSON({ messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text }] }),
    ),
  });

function textOf(task: Task): string[] {
  return task.artifacts.flatMap((a) =>
    a.parts.flatMap((p) => (p.content?.$case === 'text' ? [p.content.value] : [])),
  );
}

const rpc = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('A2A agents behind the gateway', () => {
  it("serves the agent's card with the gateway's URL and security, JSON-RPC interfaces only", async () => {
    const res = await fetch(`${base}/app/a2a/planner/.well-known/agent-card.json`, {
      headers: { authorization: 'Bearer key-app', 'a2a-version': '1.0' },
    });
    expect(res.status).toBe(200);
    const card = (await res.json()) as Record<string, unknown>;
    const url = `${base}/app/a2a/planner`;
    expect(card.name).toBe('Test agent');
    expect(card.supportedInterfaces).toEqual([
      expect.objectContaining({ url, protocolBinding: 'JSONRPC', protocolVersion: '1.0' }),
      expect.objectContaining({ url, protocolBinding: 'JSONRPC', protocolVersion: '0.3' }),
    ]);
    expect(Object.keys(card.securitySchemes as object).sort()).toEqual(['tollgateApiKey', 'tollgateBearer']);
    expect(JSON.stringify(card)).not.toContain(agent.url);
    expect(JSON.stringify(card)).not.toContain('agentToken');
    // The agent was asked with the registry's credential and headers, never the caller's key.
    const last = agent.seen[agent.seen.length - 1];
    expect(last?.authorization).toBe(`Bearer ${AGENT_TOKEN}`);
    expect(last?.['x-team']).toBe('blue');
  });

  it('serves the v0.3 card (url, preferredTransport, OpenAPI-style security) to v0.3 clients', async () => {
    const res = await fetch(`${base}/app/a2a/planner/.well-known/agent.json`, {
      headers: { 'x-api-key': 'key-app', 'a2a-version': '0.3' },
    });
    expect(res.status).toBe(200);
    const card = (await res.json()) as Record<string, unknown>;
    expect(card.url).toBe(`${base}/app/a2a/planner`);
    expect(card.preferredTransport).toBe('JSONRPC');
    expect(card.securitySchemes).toEqual({
      tollgateBearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      tollgateApiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    });
    expect(card.security).toEqual([{ tollgateBearer: [] }, { tollgateApiKey: [] }]);
  });

  it('points the card at X-Forwarded-Proto and X-Forwarded-Host when a proxy in front sets them', async () => {
    const res = await fetch(`${base}/app/a2a/planner/.well-known/agent-card.json`, {
      headers: {
        authorization: 'Bearer key-app',
        'x-ag-gateway-slug': 'gw',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'agents.example.com',
      },
    });
    const card = (await res.json()) as { supportedInterfaces: { url: string }[] };
    expect(card.supportedInterfaces[0]?.url).toBe('https://agents.example.com/app/a2a/planner');
  });

  it('sends a message, gets and cancels tasks through the gateway with the SDK client', async () => {
    const client = await clientFor('app', 'planner', 'key-app');
    const sent = await client.sendMessage(userMessage('hello'));
    expect('status' in sent).toBe(true);
    const task = sent as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(task)).toEqual(['echo: hello']);

    const got = await client.getTask({ tenant: '', id: task.id });
    expect(got.id).toBe(task.id);
    expect(textOf(got)).toEqual(['echo: hello']);

    // A task that waits: started as a stream, cancelled through the gateway.
    const stream = client.sendMessageStream(userMessage('wait'));
    const first = await stream.next();
    const waiting = first.value?.payload?.$case === 'task' ? first.value.payload.value : undefined;
    expect(waiting).toBeDefined();
    const cancelled = await client.cancelTask({ tenant: '', id: waiting?.id ?? '', metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await stream.return(undefined);
    // The caller's key never reached the agent.
    expect(agent.seen.every((h) => !JSON.stringify(h).includes('key-app'))).toBe(true);
  });

  it('relays a stream event by event as the agent sends it, never buffered', async () => {
    const client = await clientFor('app', 'planner', 'key-app');
    const t0 = Date.now();
    const arrivals: { kind: string; at: number }[] = [];
    for await (const event of client.sendMessageStream(userMessage('count 3'))) {
      arrivals.push({ kind: event.payload?.$case ?? 'none', at: Date.now() - t0 });
    }
    const artifacts = arrivals.filter((a) => a.kind === 'artifactUpdate');
    expect(artifacts).toHaveLength(3);
    // The agent spaces its chunks 150 ms apart: buffering would deliver them together at the end.
    expect((artifacts[2]?.at ?? 0) - (artifacts[0]?.at ?? 0)).toBeGreaterThanOrEqual(200);
    expect(arrivals[arrivals.length - 1]?.kind).toBe('statusUpdate');
  });

  it('relays v0.3 method names (message/send, tasks/get) as they come', async () => {
    const send = await rpc(
      '/app/a2a/planner',
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'message/send',
        params: {
          message: { kind: 'message', messageId: 'm1', role: 'user', parts: [{ kind: 'text', text: 'v03' }] },
        },
      },
      { 'x-api-key': 'key-app', 'a2a-version': '0.3' },
    );
    expect(send.status).toBe(200);
    const body = (await send.json()) as { id: number; result: { id: string; kind: string } };
    expect(body.id).toBe(7);
    expect(body.result.kind).toBe('task');
    const get = await rpc(
      '/app/a2a/planner',
      { jsonrpc: '2.0', id: 'g', method: 'tasks/get', params: { id: body.result.id } },
      { 'x-api-key': 'key-app', 'a2a-version': '0.3' },
    );
    expect(((await get.json()) as { result: { id: string } }).result.id).toBe(body.result.id);
  });

  it('relays push-notification configs (v0.3 names) and rewrites the extended card like the public one', async () => {
    const headers = { 'x-api-key': 'key-app', 'a2a-version': '0.3' };
    const send = await rpc(
      '/app/a2a/planner',
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'message/send',
        params: {
          message: { kind: 'message', messageId: 'p1', role: 'user', parts: [{ kind: 'text', text: 'p' }] },
        },
      },
      headers,
    );
    const taskId = ((await send.json()) as { result: { id: string } }).result.id;
    const config = { id: 'hook-1', url: 'https://hooks.example.com/a2a', token: 'tok' };
    const set = await rpc(
      '/app/a2a/planner',
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tasks/pushNotificationConfig/set',
        params: { taskId, pushNotificationConfig: config },
      },
      headers,
    );
    expect(set.status).toBe(200);
    expect(((await set.json()) as { result: unknown }).result).toMatchObject({
      taskId,
      pushNotificationConfig: config,
    });
    const get = await rpc(
      '/app/a2a/planner',
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tasks/pushNotificationConfig/get',
        params: { id: taskId, pushNotificationConfigId: 'hook-1' },
      },
      headers,
    );
    expect(((await get.json()) as { result: unknown }).result).toMatchObject({
      taskId,
      pushNotificationConfig: config,
    });

    const extended = await rpc(
      '/app/a2a/planner',
      { jsonrpc: '2.0', id: 4, method: 'GetExtendedAgentCard', params: {} },
      { 'x-api-key': 'key-app', 'a2a-version': '1.0' },
    );
    const card = (
      (await extended.json()) as { result: { description: string; supportedInterfaces: { url: string }[] } }
    ).result;
    expect(card.description).toBe('The extended card.');
    expect(card.supportedInterfaces.map((i) => i.url)).toEqual([
      `${base}/app/a2a/planner`,
      `${base}/app/a2a/planner`,
    ]);
    expect(JSON.stringify(card)).not.toContain(agent.url);
  });

  it('refuses without a key (401) and with another consumer\u2019s key (403), before the agent sees anything', async () => {
    const before = agent.seen.length;
    const none = await rpc('/app/a2a/planner', { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: {} });
    expect(none.status).toBe(401);
    const noneBody = (await none.json()) as {
      jsonrpc: string;
      error: { code: number; data: { type: string } };
    };
    expect(noneBody.jsonrpc).toBe('2.0');
    expect(noneBody.error.data.type).toBe('missing_api_key');
    const other = await rpc(
      '/app/a2a/planner',
      { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: {} },
      { authorization: 'Bearer key-other' },
    );
    expect(other.status).toBe(403);
    const card = await fetch(`${base}/app/a2a/planner/.well-known/agent-card.json`);
    expect(card.status).toBe(401);
    expect(agent.seen.length).toBe(before);
    // The SDK client gives up with the gateway's words.
    await expect(clientFor('app', 'planner', 'wrong-key')).rejects.toThrow(/401/);
  });

  it('answers 404 for an agent the consumer does not list, whether or not it exists', async () => {
    for (const path of ['/other/a2a/planner', '/app/a2a/nope']) {
      const key = path.startsWith('/other') ? 'key-other' : 'key-app';
      const res = await rpc(
        path,
        { jsonrpc: '2.0', id: 3, method: 'GetTask', params: { id: 'x' } },
        { 'x-api-key': key },
      );
      expect(res.status).toBe(404);
      const body = (await res.json()) as { id: number; error: { message: string; data: { type: string } } };
      expect(body.id).toBe(3);
      expect(body.error.data.type).toBe('agent_not_found');
    }
  });

  it('turns a dead agent into a JSON-RPC error that says so', async () => {
    const res = await rpc(
      '/app/a2a/dead',
      { jsonrpc: '2.0', id: 'd', method: 'SendMessage', params: {} },
      { 'x-api-key': 'key-app' },
    );
    expect(res.status).toBe(502);
    const body = (await res.json()) as { id: string; error: { code: number; message: string } };
    expect(body.id).toBe('d');
    expect(body.error.code).toBe(-32000);
    expect(body.error.message).toMatch(/The agent 'default\/dead' is unreachable: ECONNREFUSED/);
    const card = await fetch(`${base}/app/a2a/dead/.well-known/agent-card.json`, {
      headers: { 'x-api-key': 'key-app' },
    });
    expect(card.status).toBe(502);
  });

  it('ends a stream the agent cuts with a JSON-RPC error event, after the events it did send', async () => {
    const res = await rpc(
      '/app/a2a/broken',
      { jsonrpc: '2.0', id: 5, method: 'SendStreamingMessage', params: {} },
      { 'x-api-key': 'key-app', accept: 'text/event-stream' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => JSON.parse(e.slice(6)) as { id: number; result?: unknown; error?: { message: string } });
    expect(events).toHaveLength(2);
    expect(events[0]?.result).toEqual({ task: { id: 't1', contextId: 'c1' } });
    expect(events[1]?.id).toBe(5);
    expect(events[1]?.error?.message).toMatch(
      /The agent 'default\/broken' is unreachable: .*The stream ended early\./,
    );
  });

  it("says so when the agent answers other than JSON-RPC, or refuses the registry's credential", async () => {
    const html = await rpc(
      '/app/a2a/broken',
      { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: {} },
      { 'x-api-key': 'key-app' },
    );
    expect(html.status).toBe(502);
    expect(((await html.json()) as { error: { code: number; message: string } }).error).toEqual(
      expect.objectContaining({
        code: -32006,
        message: expect.stringMatching(/invalid response: HTTP 200, text\/html/),
      }),
    );
    const refused = await rpc(
      '/app/a2a/broken',
      { jsonrpc: '2.0', id: 2, method: 'GetTask', params: { id: 't' } },
      { 'x-api-key': 'key-app' },
    );
    expect(refused.status).toBe(502);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /refused the registry credentials \(HTTP 401\)/,
    );
    const crashed = await rpc(
      '/app/a2a/broken',
      { jsonrpc: '2.0', id: 9, method: 'CancelTask', params: { id: 't' } },
      { 'x-api-key': 'key-app' },
    );
    expect(crashed.status).toBe(502);
    expect(await crashed.json()).toEqual({
      jsonrpc: '2.0',
      id: 9,
      error: { code: -32603, message: 'agent crashed' },
    });
    const card = await fetch(`${base}/app/a2a/broken/.well-known/agent-card.json`, {
      headers: { 'x-api-key': 'key-app' },
    });
    expect(card.status).toBe(502);
  });

  it("answers a browser's preflight with the consumer's CORS policy, and marks its requests", async () => {
    const origin = 'https://inspector.example.com';
    const preflight = await fetch(`${base}/app/a2a/planner`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    const res = await rpc(
      '/app/a2a/planner',
      { jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } },
      { origin, authorization: 'Bearer key-app' },
    );
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    // A consumer without a CORS policy has nothing to answer a preflight with.
    const none = await fetch(`${base}/other/a2a/planner`, { method: 'OPTIONS', headers: { origin } });
    expect(none.status).toBe(405);
  });

  it('never hands the caller the credential an agent echoes, in an answer or a stream', async () => {
    const answer = await rpc(
      '/app/a2a/broken',
      { jsonrpc: '2.0', id: 1, method: 'x/echo' },
      { 'x-api-key': 'key-app' },
    );
    const text = await answer.text();
    expect(text).toContain('you sent Bearer [redacted]');
    expect(text).not.toContain('broken-agent-credential');
    const stream = await rpc(
      '/app/a2a/broken',
      { jsonrpc: '2.0', id: 1, method: 'x/echo-stream' },
      { 'x-api-key': 'key-app' },
    );
    const events = (await stream.text()).split('\n\n').filter((e) => e.startsWith('data: '));
    expect(events).toHaveLength(2);
    for (const e of events) expect(e).toContain('you sent Bearer [redacted]');
  });

  it('answers bad JSON-RPC with JSON-RPC errors, never a 500', async () => {
    const cases: [string | object, number, number][] = [
      ['{not json', 400, -32700],
      [[{ jsonrpc: '2.0', id: 1, method: 'GetTask' }], 400, -32600],
      [{ jsonrpc: '1.0', id: 1, method: 'GetTask' }, 400, -32600],
      [{ jsonrpc: '2.0', id: 1 }, 400, -32600],
      [{ jsonrpc: '2.0', id: 1, method: 'GetTask', params: 'x' }, 400, -32602],
    ];
    for (const [body, status, code] of cases) {
      const res = await rpc('/app/a2a/planner', body, { 'x-api-key': 'key-app' });
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      expect(((await res.json()) as { error: { code: number } }).error.code).toBe(code);
    }
    const get = await fetch(`${base}/app/a2a/planner`, { headers: { 'x-api-key': 'key-app' } });
    expect(get.status).toBe(405);
  });

  it("applies the consumer's rate limit (429 with Retry-After)", async () => {
    const call = () =>
      rpc(
        '/limited/a2a/planner',
        { jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'missing' } },
        { 'x-api-key': 'key-limited' },
      );
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call()).status);
    expect(statuses.slice(0, 2).every((s) => s !== 429)).toBe(true);
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await limited.json()) as { error: { data: { type: string } } }).error.data.type).toBe(
      'rate_limit_exceeded',
    );
  });

  it("answers through a proxy of its own (createProxy's listener) as through the dataplane", async () => {
    const agents = new AgentClient();
    const { listener } = createProxy({
      agents,
      store,
      adapters: {},
      metrics: createMetrics({ defaultMetrics: false }),
      logger: dp.logger,
    });
    const app = proxyClient(listener);
    const res = await app.request('http://127.0.0.1/app/a2a/planner/.well-known/agent-card.json', {
      headers: { 'x-api-key': 'key-app', 'a2a-version': '1.0' },
    });
    expect(res.status).toBe(200);
    const card = (await res.json()) as { supportedInterfaces: { url: string }[] };
    expect(card.supportedInterfaces[0]?.url).toBe('http://127.0.0.1/app/a2a/planner');
    const refused = await app.request('http://127.0.0.1/app/a2a/planner', { method: 'POST', body: '{}' });
    expect(refused.status).toBe(401);
    await app.close();
    await agents.close();
  });

  it('counts requests by consumer, agent, method and result, and logs each with its method', async () => {
    const metrics = await dp.metrics.registry.getSingleMetricAsString('tollgate_a2a_requests_total');
    expect(metrics).toMatch(/consumer="app",agent="planner",method="SendMessage",result="ok"\} [1-9]/);
    expect(metrics).toMatch(/consumer="app",agent="planner",method="card",result="ok"\}/);
    expect(metrics).toMatch(/consumer="app",agent="dead",method="SendMessage",result="upstream_error"\}/);
    expect(metrics).toMatch(
      /consumer="limited",agent="planner",method="GetTask",result="rate_limit_exceeded"\}/,
    );
    dp.logger.flush();
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.a2a);
    expect(lines).toContainEqual(
      expect.objectContaining({ consumer: 'app', agent: 'planner', method: 'message/send', status: 200 }),
    );
  });
});
