import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import net from 'node:net';
import { TranslationError, type ChatRequest, type ChatResponse } from '../formats/ir';
import { openAIChatFormat } from '../formats/openai-chat';
import { openAIResponsesFormat } from '../formats/openai-responses';
import { sseText } from '../formats/wire';
import { embeddingList, modelList, openAIError } from '../providers/openai-wire';
import { scenarioEvents, scenarioReply } from './scenario';

/** What the next requests meet; switch it at any time. */
export type Behaviour =
  | { kind: 'ok'; reply?: string; chunkDelayMs?: number }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'hang' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'dieMidStream'; afterChunks: number }
  | { kind: 'malformed' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface MockOpenAIUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 speaking OpenAI's wire format, with switchable failures: for
 * tests and the benchmark. Chat completions answer with the shared scenario (`scenario.ts`: echo,
 * tool calls, tool results) through the openai-chat codec, so it behaves as every other provider
 * mock does; a request the codec refuses is answered 400 as OpenAI answers an invalid request.
 */
export async function startMockOpenAIUpstream(
  options: {
    apiKey?: string;
    models?: string[];
    /**
     * Serve Azure OpenAI's paths instead (`/openai/deployments/{deployment}/chat/completions` and
     * `/embeddings` with `?api-version=`), authenticated by an `api-key` header.
     */
    azure?: { apiVersion: string };
    /** Report usage at the end of every stream, asked or not (as Mistral's API does). */
    alwaysStreamUsage?: boolean;
  } = {},
): Promise<MockOpenAIUpstream> {
  let behaviour: Behaviour = { kind: 'ok' };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      void handle(req, res, body, behaviour);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string, b: Behaviour) {
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-request-id': `req_${requests.length}`,
        ...headers,
      });
      res.end(JSON.stringify(value));
    };
    const presented = options.azure ? req.headers['api-key'] : req.headers.authorization;
    const expected = options.azure ? options.apiKey : `Bearer ${options.apiKey}`;
    if (options.apiKey !== undefined && presented !== expected) {
      return send(401, openAIError(401, 'Incorrect API key provided.', 'invalid_api_key'));
    }
    if (b.kind === 'hang') return; // accept, never answer
    if (b.kind === 'slow') await new Promise((r) => setTimeout(r, b.delayMs));
    if (b.kind === 'status') {
      return send(
        b.status,
        openAIError(b.status, `mock upstream answered ${b.status}`),
        b.retryAfter ? { 'retry-after': b.retryAfter } : {},
      );
    }
    if (b.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"id": "chatcmpl-broken", "choices": [');
    }

    let path = (req.url ?? '').replace(/\?.*$/, '');
    let deployment: string | undefined;
    if (options.azure) {
      const m = /^\/openai\/deployments\/([^/]+)(\/chat\/completions|\/embeddings)$/.exec(path);
      const version = new URL(req.url ?? '/', 'http://mock').searchParams.get('api-version');
      if (!m || version !== options.azure.apiVersion) {
        return send(404, { error: { code: '404', message: 'Resource not found' } });
      }
      deployment = decodeURIComponent(m[1] ?? '');
      path = `/v1${m[2] ?? ''}`;
    }
    if (req.method === 'GET' && path === '/v1/models')
      return send(200, modelList(options.models ?? ['gpt-4o-mini'], 'mock'));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return send(400, openAIError(400, 'We could not parse the JSON body of your request.'));
    }
    if (deployment !== undefined) body.model ??= deployment; // Azure takes the model from the path
    const model = String(body.model ?? '');
    if (req.method === 'POST' && path === '/v1/embeddings') {
      const input = body.input;
      return send(
        200,
        embeddingList(model, Array.isArray(input) ? input.map(String) : [String(input ?? '')]),
      );
    }
    // Chat Completions, and the Responses API (stateless) as OpenAI itself serves both.
    const format =
      req.method === 'POST' && path === '/v1/chat/completions'
        ? openAIChatFormat
        : req.method === 'POST' && path === '/v1/responses' && !options.azure
          ? openAIResponsesFormat
          : undefined;
    if (!format) {
      return send(404, openAIError(404, `Invalid URL (${req.method} ${path})`));
    }
    let chat: ChatRequest;
    try {
      chat = format.decodeRequest(body);
    } catch (e) {
      if (!(e instanceof TranslationError)) throw e;
      const err = openAIError(400, e.message, 'invalid_request_error');
      return send(400, { error: { ...err.error, param: e.param ?? null } });
    }
    const reply = mockReply(chat, `chatcmpl-mock-${requests.length}`, b.kind === 'ok' ? b.reply : undefined);
    if (!chat.stream) return send(200, format.encodeResponse(reply, chat));

    const includeUsage =
      options.alwaysStreamUsage === true ||
      (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const encoder = format.streamEncoder({ includeUsage, request: chat });
    const frames = [...scenarioEvents(reply).flatMap((e) => encoder.push(e)), ...encoder.end()];
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const delay = b.kind === 'ok' ? (b.chunkDelayMs ?? 0) : 0;
    for (const [i, f] of frames.entries()) {
      if (b.kind === 'dieMidStream' && i === b.afterChunks) {
        // let what was written reach the client, then drop the connection as a crashed upstream would
        await new Promise((r) => setTimeout(r, 50));
        res.socket?.destroy();
        return;
      }
      if (delay > 0 && i > 0) await new Promise((r) => setTimeout(r, delay));
      res.write(sseText([f]));
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    behave(b) {
      behaviour = b;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The scenario's reply, or the `reply` text of an `ok` behaviour in its place (one output token a word). */
function mockReply(req: ChatRequest, id: string, text: string | undefined): ChatResponse {
  const res = scenarioReply(req, id);
  if (text === undefined) return res;
  const usage = res.usage && { ...res.usage, outputTokens: text.match(/\S+/g)?.length ?? 0 };
  return { ...res, content: [{ type: 'text', text }], stopReason: 'end', ...(usage ? { usage } : {}) };
}

/** A port with nothing listening on it: connections are refused. */
export async function refusingPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
