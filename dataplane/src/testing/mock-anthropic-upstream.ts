import { anthropicMessagesFormat as anthropic } from '../formats/anthropic-messages';
import { TranslationError, type ChatRequest, type ChatResponse, type StreamEvent } from '../formats/ir';
import { isObject, sseText } from '../formats/wire';
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

export interface MockAnthropicUpstream {
  /** Base URL as the SDKs take it: `http://127.0.0.1:<port><prefix>` (they append `/v1/…`). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

export interface MockAnthropicOptions {
  /** The x-api-key to accept; when unset any key is accepted, but one is still required. */
  apiKey?: string;
  /** Path prefix before `/v1/…`. */
  prefix?: string;
  /**
   * Serve Vertex AI's Claude endpoints instead: `POST /v1/projects/{p}/locations/{l}/publishers/
   * anthropic/models/{model}:rawPredict` (and `:streamRawPredict`), authenticated with
   * `Authorization: Bearer <accessToken>`, with the model in the path, not the body, and
   * `anthropic_version: "vertex-2023-10-16"` in the body.
   */
  vertex?: boolean;
  /** The Vertex bearer token to accept; when unset any token is accepted, but one is still required. */
  accessToken?: string;
}

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

const VERTEX_PATH =
  /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/;

/**
 * A real HTTP server on 127.0.0.1 speaking Anthropic's Messages API (or Vertex AI's Claude
 * endpoints): it checks what Anthropic checks (key, version, JSON body, max_tokens), answers the
 * deterministic scenario reply through the anthropic-messages codec, counts input tokens at
 * `/v1/messages/count_tokens` (what that reply's usage reports), and fails on demand like the
 * OpenAI mock.
 */
export async function startMockAnthropicUpstream(
  options: MockAnthropicOptions = {},
): Promise<MockAnthropicUpstream> {
  const prefix = options.prefix ?? '';

  async function handle({ req, res, raw: bytes, behaviour: b, n }: MockExchange) {
    const raw = bytes.toString('utf8');
    const requestId = `req_mock_${n}`;
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...headers });
      res.end(JSON.stringify(value));
    };
    const fail = (status: number, message: string, headers: Record<string, string> = {}) =>
      send(
        status,
        { ...anthropic.encodeError({ status, code: '', message }), request_id: requestId },
        headers,
      );

    if (options.vertex) {
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      if (!token || (options.accessToken !== undefined && token !== options.accessToken))
        // Google's front end refuses before Claude sees the request, in Google's error shape.
        return send(401, {
          error: {
            code: 401,
            message: 'Request had invalid authentication credentials. Expected OAuth 2 access token.',
            status: 'UNAUTHENTICATED',
          },
        });
    } else {
      const key = req.headers['x-api-key'];
      if (typeof key !== 'string' || key === '') return fail(401, 'x-api-key header is required');
      if (options.apiKey !== undefined && key !== options.apiKey) return fail(401, 'invalid x-api-key');
    }

    if (!(await answerAsBehaved(b))) return; // hang: accept, never answer
    if (b.kind === 'status') {
      const presented = options.vertex ? req.headers.authorization : req.headers['x-api-key'];
      const echo = b.echoCredential ? ` for the credential '${String(presented)}'` : '';
      return fail(
        b.status,
        `mock upstream answered ${b.status}${echo}`,
        b.retryAfter ? { 'retry-after': b.retryAfter } : {},
      );
    }
    if (b.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"id": "msg_broken", "type": "message", "content": [');
    }

    const path = (req.url ?? '').replace(/\?.*$/, '');
    let model: string | undefined;
    const counting = !options.vertex && path === `${prefix}/v1/messages/count_tokens`;
    if (options.vertex) {
      const m = path.startsWith(prefix) ? VERTEX_PATH.exec(path.slice(prefix.length)) : null;
      if (req.method !== 'POST' || !m) return fail(404, `Not Found: ${req.method} ${path}`);
      model = decodeURIComponent(m[3] ?? '');
    } else {
      if (req.method !== 'POST' || (path !== `${prefix}/v1/messages` && !counting))
        return fail(404, `Not Found: ${req.method} ${path}`);
      if (!req.headers['anthropic-version']) return fail(400, 'anthropic-version: header is required');
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return fail(400, 'content-type: must be application/json');

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return fail(400, 'There was an issue with your request body: invalid JSON');
    }
    // Token counting takes a Messages request without max_tokens and answers its input tokens:
    // what the same request's usage would report.
    if (counting && isObject(body)) body = { max_tokens: 1, ...body, stream: false };
    if (!isObject(body)) return fail(400, 'request body must be a JSON object');
    if (body.max_tokens === undefined) return fail(400, 'max_tokens: Field required');
    if (model !== undefined) {
      if (body.anthropic_version !== VERTEX_ANTHROPIC_VERSION)
        return fail(400, `anthropic_version: must be "${VERTEX_ANTHROPIC_VERSION}"`);
      if (body.model !== undefined) return fail(400, 'model: Extra inputs are not permitted');
      body = { ...body, model };
    }

    let chat: ChatRequest;
    try {
      chat = anthropic.decodeRequest(body as Record<string, unknown>);
    } catch (e) {
      if (e instanceof TranslationError) return fail(400, e.message);
      throw e;
    }
    const reply = scenarioReply(chat, `msg_mock_${n}`, b.kind === 'ok' ? b.reply : undefined);
    if (counting) return send(200, { input_tokens: reply.usage?.inputTokens ?? 0 });
    if (!chat.stream) return send(200, anthropic.encodeResponse(reply));

    const encoder = anthropic.streamEncoder({ includeUsage: true });
    const frames = [...orderedEvents(reply).flatMap((e) => encoder.push(e)), ...encoder.end()];
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': requestId,
    });
    await writeStream(
      res,
      frames.map((f) => sseText([f])),
      b,
    );
  }

  const server = await startMockServer(handle);
  return { url: `http://127.0.0.1:${server.port}${prefix}`, ...server };
}

/**
 * The scenario events with the usage also given right after the start, so message_start carries
 * the input tokens as Anthropic's does; message_delta still carries the final counts.
 */
function orderedEvents(reply: ChatResponse): StreamEvent[] {
  const events = scenarioEvents(reply);
  const usage = events.find((e) => e.type === 'usage');
  return usage ? [events[0] as StreamEvent, usage, ...events.slice(1)] : events;
}
