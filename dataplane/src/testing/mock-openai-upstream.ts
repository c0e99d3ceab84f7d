import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { TranslationError, type ChatRequest } from '../formats/ir';
import { openAIChatFormat } from '../formats/openai-chat';
import { openAIResponsesFormat } from '../formats/openai-responses';
import { sseText } from '../formats/wire';
import { embeddingList, modelList, openAIError } from '../formats/openai-wire';
import {
  answerAsBehaved,
  startMockServer,
  writeStream,
  type Behaviour,
  type MockExchange,
  type RecordedRequest,
} from './mock-server';
import { scenarioEvents, scenarioReply } from '../providers/scenario';

export type { Behaviour, RecordedRequest } from './mock-server';

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
  async function handle({ req, res, raw: bytes, behaviour: b, n }: MockExchange) {
    const raw = bytes.toString('utf8');
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-request-id': `req_${n}`,
        ...headers,
      });
      res.end(JSON.stringify(value));
    };
    const presented = options.azure ? req.headers['api-key'] : req.headers.authorization;
    const expected = options.azure ? options.apiKey : `Bearer ${options.apiKey}`;
    if (options.apiKey !== undefined && presented !== expected) {
      return send(401, openAIError(401, 'Incorrect API key provided.', 'invalid_api_key'));
    }
    if (!(await answerAsBehaved(b))) return; // hang: accept, never answer
    if (b.kind === 'status') {
      const echo = b.echoCredential ? ` for the credential '${String(presented)}'` : '';
      return send(
        b.status,
        openAIError(b.status, `mock upstream answered ${b.status}${echo}`),
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
    const reply = scenarioReply(chat, `chatcmpl-mock-${n}`, b.kind === 'ok' ? b.reply : undefined);
    if (!chat.stream) return send(200, format.encodeResponse(reply, chat));

    const includeUsage =
      options.alwaysStreamUsage === true ||
      (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const encoder = format.streamEncoder({ includeUsage, request: chat });
    const frames = [...scenarioEvents(reply).flatMap((e) => encoder.push(e)), ...encoder.end()];
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    await writeStream(
      res,
      frames.map((f) => sseText([f])),
      b,
    );
  }

  const server = await startMockServer(handle);
  return { url: `http://127.0.0.1:${server.port}/v1`, ...server };
}

/** A port with nothing listening on it: connections are refused. */
export async function refusingPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
