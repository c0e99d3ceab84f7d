import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { bedrockConverseFormat, errorTypeForStatus } from '../formats/bedrock-converse';
import { TranslationError, type ChatRequest, type ChatResponse } from '../formats/ir';
import { encodeEventStream } from '../providers/aws/eventstream';
import {
  parseAmzDate,
  parseAwsAuthorization,
  signAwsRequest,
  type AwsCredentials,
} from '../providers/aws/sigv4';
import type { Behaviour, RecordedRequest } from './mock-openai-upstream';
import { scenarioEvents, scenarioReply } from './scenario';

export type { Behaviour, RecordedRequest } from './mock-openai-upstream';

export interface MockBedrockUpstream {
  /** The bedrock-runtime endpoint, e.g. `http://127.0.0.1:41234` (paths start at `/model/…`). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

export interface MockBedrockOptions {
  /** The region signatures must be scoped to (default us-east-1); the signing name is `bedrock`. */
  region?: string;
  /** When set, requests must carry a valid SigV4 signature made with these credentials. */
  credentials?: AwsCredentials;
  /** When set, `Authorization: Bearer <apiKey>` (an Amazon Bedrock API key) is accepted. */
  apiKey?: string;
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * A real HTTP server on 127.0.0.1 speaking Bedrock Runtime's Converse API:
 * `POST /model/{modelId}/converse` and `/converse-stream` (the model id URL-encoded in the path, as
 * the AWS SDKs send `…-v1%3A0`). It verifies SigV4 by re-signing the received request with the same
 * smithy signer (or accepts a Bedrock API key), answers the shared scenario (`scenario.ts`) through
 * the bedrock-converse codec, streams it as `application/vnd.amazon.eventstream`, and has the same
 * switchable failures as the OpenAI mock. Errors are Bedrock's: `{"message"}` + `x-amzn-ErrorType`.
 */
export async function startMockBedrockUpstream(
  options: MockBedrockOptions = {},
): Promise<MockBedrockUpstream> {
  const region = options.region ?? 'us-east-1';
  let behaviour: Behaviour = { kind: 'ok' };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: raw.toString('utf8'),
      });
      handle(req, res, raw, behaviour).catch((e: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'InternalServerException', (e as Error).message);
        else res.destroy();
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  /** undefined when the request may proceed, else the error answered. */
  async function authError(req: IncomingMessage, raw: Buffer): Promise<[string, string] | undefined> {
    if (options.credentials === undefined && options.apiKey === undefined) return undefined;
    const auth = req.headers.authorization;
    if (auth === undefined) return ['MissingAuthenticationTokenException', 'Missing Authentication Token'];
    if (auth.startsWith('Bearer ')) {
      return options.apiKey !== undefined && auth === `Bearer ${options.apiKey}`
        ? undefined
        : ['UnrecognizedClientException', 'The security token included in the request is invalid.'];
    }
    const creds = options.credentials;
    const parsed = parseAwsAuthorization(auth);
    if (creds === undefined || parsed === undefined || parsed.accessKeyId !== creds.accessKeyId)
      return ['UnrecognizedClientException', 'The security token included in the request is invalid.'];
    const date = parseAmzDate(String(req.headers['x-amz-date'] ?? ''));
    if (date === undefined) return ['IncompleteSignatureException', 'Date must be in ISO-8601 basic format.'];
    // Re-sign exactly what arrived: the signed headers as received, the raw path and body.
    const headers: Record<string, string> = {};
    for (const name of parsed.signedHeaders) {
      const v = req.headers[name];
      if (v === undefined) return ['InvalidSignatureException', SIGNATURE_MISMATCH];
      headers[name] = Array.isArray(v) ? v.join(',') : v;
    }
    // The payload hash is recomputed from the body (the signer adds it back), never taken from the
    // header: a body changed after signing must fail.
    delete headers['x-amz-content-sha256'];
    const expected = await signAwsRequest({
      method: req.method ?? 'GET',
      url: `http://${headers.host ?? req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`,
      headers,
      body: new Uint8Array(raw),
      region,
      service: 'bedrock',
      credentials: creds,
      date,
      applyChecksum: parsed.signedHeaders.includes('x-amz-content-sha256'),
    });
    return expected.authorization === auth ? undefined : ['InvalidSignatureException', SIGNATURE_MISMATCH];
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, b: Behaviour) {
    const denied = await authError(req, raw);
    if (denied) return sendError(res, 403, denied[0], denied[1]);
    if (b.kind === 'hang') return; // accept, never answer
    if (b.kind === 'slow') await new Promise((r) => setTimeout(r, b.delayMs));
    if (b.kind === 'status') {
      return sendError(
        res,
        b.status,
        errorTypeForStatus(b.status),
        `mock upstream answered ${b.status}`,
        b.retryAfter ? { 'retry-after': b.retryAfter } : {},
      );
    }

    const route = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec((req.url ?? '').replace(/\?.*$/, ''));
    if (req.method !== 'POST' || !route)
      return sendError(res, 404, 'UnknownOperationException', 'UnknownOperationException');
    const stream = route[2] === 'converse-stream';
    if (b.kind === 'malformed') {
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"output": {"message": {"role": "assistant", "content": [');
      }
      // a message whose prelude promises more bytes than ever arrive
      const [first] = encodeEventStream([{ event: 'messageStart', data: '{"role":"assistant"}' }]);
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      return res.end(first?.subarray(0, 20));
    }

    let chat: ChatRequest;
    try {
      chat = bedrockConverseFormat.decodeRequest(JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
    } catch (e) {
      if (e instanceof SyntaxError)
        return sendError(res, 400, 'SerializationException', 'Malformed JSON body.');
      if (e instanceof TranslationError) return sendError(res, 400, 'ValidationException', e.message);
      throw e;
    }
    chat.model = safeDecode(route[1] ?? '');
    chat.stream = stream;
    const reply = mockReply(chat, `bedrock-mock-${requests.length}`, b.kind === 'ok' ? b.reply : undefined);
    const requestId = randomUUID();
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId });
      return res.end(JSON.stringify(bedrockConverseFormat.encodeResponse(reply)));
    }

    const encoder = bedrockConverseFormat.streamEncoder({ includeUsage: true });
    const frames = [...scenarioEvents(reply).flatMap((e) => encoder.push(e)), ...encoder.end()];
    const messages = encodeEventStream(frames);
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': requestId,
    });
    const delay = b.kind === 'ok' ? (b.chunkDelayMs ?? 0) : 0;
    for (const [i, m] of messages.entries()) {
      if (b.kind === 'dieMidStream' && i === b.afterChunks) {
        // let what was written reach the client, then drop the connection as a crashed upstream would
        await new Promise((r) => setTimeout(r, 50));
        res.socket?.destroy();
        return;
      }
      if (delay > 0 && i > 0) await new Promise((r) => setTimeout(r, delay));
      res.write(m);
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
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

function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(JSON.stringify(bedrockConverseFormat.encodeError({ status, code: type, message })));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The scenario's reply, or the `reply` text of an `ok` behaviour in its place (one output token a word). */
function mockReply(req: ChatRequest, id: string, text: string | undefined): ChatResponse {
  const res = scenarioReply(req, id);
  if (text === undefined) return res;
  const usage = res.usage && { ...res.usage, outputTokens: text.match(/\S+/g)?.length ?? 0 };
  return { ...res, content: [{ type: 'text', text }], stopReason: 'end', ...(usage ? { usage } : {}) };
}
