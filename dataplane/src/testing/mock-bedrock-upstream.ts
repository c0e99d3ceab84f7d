import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bedrockConverseFormat, errorTypeForStatus } from '../formats/bedrock-converse';
import { TranslationError, type ChatRequest } from '../formats/ir';
import { encodeEventStream } from '../providers/aws/eventstream';
import {
  parseAmzDate,
  parseAwsAuthorization,
  signAwsRequest,
  type AwsCredentials,
} from '../providers/aws/sigv4';
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

  async function handle(x: MockExchange) {
    try {
      await answer(x);
    } catch (e) {
      if (x.res.headersSent) x.res.destroy();
      else sendError(x.res, 500, 'InternalServerException', (e as Error).message);
    }
  }

  async function answer({ req, res, raw, behaviour: b, n }: MockExchange) {
    const denied = await authError(req, raw);
    if (denied) return sendError(res, 403, denied[0], denied[1]);
    if (!(await answerAsBehaved(b))) return; // hang: accept, never answer
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
    const reply = scenarioReply(chat, `bedrock-mock-${n}`, b.kind === 'ok' ? b.reply : undefined);
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
    await writeStream(res, messages, b);
  }

  const server = await startMockServer(handle);
  return { url: `http://127.0.0.1:${server.port}`, ...server };
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
