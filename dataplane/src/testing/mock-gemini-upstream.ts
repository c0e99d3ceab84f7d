import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  decodeProtectedHeader,
  importSPKI,
  jwtVerify,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { TranslationError, type ChatResponse, type Frame } from '../formats/ir';
import { sseText } from '../formats/wire';
import { geminiFormat } from '../formats/gemini';
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

export interface MockGeminiUpstream {
  /** The base URL a provider is configured with (no API version). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

export type MockGeminiOptions =
  /** The Gemini API: `/v1beta/models/{model}:generateContent`, authenticated by API key. */
  | { mode: 'gemini'; apiKey?: string }
  /** Vertex AI: `/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:…`, by OAuth token. */
  | { mode: 'vertex'; accessToken?: string; project?: string; location?: string };

const GEMINI_PATH = /^\/(v1|v1beta)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const VERTEX_PATH =
  /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/** Google's error body, the shape every error this mock answers with. */
export function googleError(status: number, message: string): Record<string, unknown> {
  return geminiFormat.encodeError({ status, code: '', message });
}

/**
 * A real HTTP server on 127.0.0.1 speaking Gemini's generateContent / streamGenerateContent (the
 * gemini codec renders the shared scenario reply), as the Gemini API or as Vertex AI, with the same
 * switchable failures as the OpenAI mock.
 */
export async function startMockGeminiUpstream(options: MockGeminiOptions): Promise<MockGeminiUpstream> {
  /** Google's answers to missing or wrong credentials; null when the request may pass. */
  function authError(req: IncomingMessage, url: URL): [number, string] | null {
    if (options.mode === 'gemini') {
      if (options.apiKey === undefined) return null;
      const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key') ?? undefined;
      if (key === undefined)
        return [
          403,
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        ];
      return key === options.apiKey ? null : [400, 'API key not valid. Please pass a valid API key.'];
    }
    if (options.accessToken === undefined || req.headers.authorization === `Bearer ${options.accessToken}`)
      return null;
    return [
      401,
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    ];
  }

  /** The model and method of a known path, or undefined. */
  function route(path: string): { model: string; stream: boolean } | undefined {
    if (options.mode === 'gemini') {
      const m = GEMINI_PATH.exec(path);
      return m
        ? { model: decodeURIComponent(m[2] ?? ''), stream: m[3] === 'streamGenerateContent' }
        : undefined;
    }
    const m = VERTEX_PATH.exec(path);
    if (!m) return undefined;
    if (options.project !== undefined && m[2] !== options.project) return undefined;
    if (options.location !== undefined && m[3] !== options.location) return undefined;
    return { model: decodeURIComponent(m[4] ?? ''), stream: m[5] === 'streamGenerateContent' };
  }

  async function handle({ req, res, raw: bytes, behaviour: b, n }: MockExchange) {
    const raw = bytes.toString('utf8');
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
      res.end(JSON.stringify(value));
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const denied = authError(req, url);
    if (denied) return send(denied[0], googleError(denied[0], denied[1]));
    if (!(await answerAsBehaved(b))) return; // hang: accept, never answer
    if (b.kind === 'status') {
      return send(
        b.status,
        googleError(b.status, `mock upstream answered ${b.status}`),
        b.retryAfter ? { 'retry-after': b.retryAfter } : {},
      );
    }
    if (b.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      return res.end('{"candidates": [{"content": {"parts": [');
    }
    const target = req.method === 'POST' ? route(url.pathname) : undefined;
    if (!target) return send(404, googleError(404, `Requested entity was not found.`));

    let reply: ChatResponse;
    try {
      const body: unknown = JSON.parse(raw);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return send(400, googleError(400, 'Invalid JSON payload received.'));
      const chat = geminiFormat.decodeRequest(body as Record<string, unknown>);
      chat.model = target.model;
      chat.stream = target.stream;
      reply = scenarioReply(chat, `resp_mock_${n}`, b.kind === 'ok' ? b.reply : undefined);
    } catch (e) {
      if (e instanceof SyntaxError) return send(400, googleError(400, 'Invalid JSON payload received.'));
      if (e instanceof TranslationError) return send(400, googleError(400, e.message));
      throw e;
    }
    if (!target.stream) return send(200, geminiFormat.encodeResponse(reply));

    const enc = geminiFormat.streamEncoder({ includeUsage: true });
    const frames: Frame[] = [...scenarioEvents(reply).flatMap((e) => enc.push(e)), ...enc.end()];
    // Without alt=sse Google streams one JSON array of the chunks.
    if (url.searchParams.get('alt') !== 'sse')
      return send(
        200,
        frames.map((f) => JSON.parse(f.data) as unknown),
      );
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    await writeStream(
      res,
      frames.map((f) => sseText([f])),
      b,
    );
  }

  const server = await startMockServer(handle);
  return { url: `http://127.0.0.1:${server.port}`, ...server };
}

// ---------------------------------------------------------------- OAuth token endpoint

export interface TokenCall {
  grantType: string | null;
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
}

export type TokenBehaviour =
  { kind: 'ok' } | { kind: 'fail'; status: number; error: string; description?: string };

export interface MockTokenEndpoint {
  /** The `token_uri` to put in a service-account key. */
  url: string;
  /** Verified exchanges, in order. */
  calls: TokenCall[];
  behave(b: TokenBehaviour): void;
  close(): Promise<void>;
}

export interface MockTokenOptions {
  /** The token to issue, or one per call (n counts from 1). */
  accessToken?: string | ((n: number) => string);
  expiresIn?: number;
  /** The clock the JWT's iat/exp are checked against (ms); the real one by default. */
  now?: () => number;
}

/**
 * Google's OAuth 2.0 token endpoint for the service-account (jwt-bearer) grant: verifies the RS256
 * assertion with the account's public key, its audience (this URL) and lifetime (≤ 1 h), and
 * answers with an access token, or with Google's `{error, error_description}` body.
 */
export async function startMockTokenEndpoint(
  publicKeyPem: string,
  options: MockTokenOptions = {},
): Promise<MockTokenEndpoint> {
  const key = await importSPKI(publicKeyPem, 'RS256');
  const calls: TokenCall[] = [];
  let behaviour: TokenBehaviour = { kind: 'ok' };
  let url = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      void (async () => {
        if (req.headers['content-type'] !== 'application/x-www-form-urlencoded')
          return send(400, { error: 'invalid_request', error_description: 'Bad Request' });
        const grantType = form.get('grant_type');
        if (grantType !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
          return send(400, {
            error: 'unsupported_grant_type',
            error_description: 'Invalid grant_type: ' + grantType,
          });
        const assertion = form.get('assertion') ?? '';
        let claims: JWTPayload;
        let header: ProtectedHeaderParameters;
        try {
          header = decodeProtectedHeader(assertion);
          const now = options.now?.();
          ({ payload: claims } = await jwtVerify(assertion, key, {
            audience: url,
            algorithms: ['RS256'],
            ...(now !== undefined ? { currentDate: new Date(now) } : {}),
          }));
        } catch {
          return send(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
        }
        if (
          typeof claims.iss !== 'string' ||
          typeof claims.scope !== 'string' ||
          typeof claims.iat !== 'number' ||
          typeof claims.exp !== 'number' ||
          claims.exp - claims.iat > 3600
        ) {
          return send(400, {
            error: 'invalid_grant',
            error_description:
              'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
          });
        }
        calls.push({ grantType, header, claims });
        if (behaviour.kind === 'fail')
          return send(behaviour.status, {
            error: behaviour.error,
            ...(behaviour.description !== undefined ? { error_description: behaviour.description } : {}),
          });
        const t = options.accessToken ?? 'ya29.mock-access-token';
        send(200, {
          access_token: typeof t === 'function' ? t(calls.length) : t,
          expires_in: options.expiresIn ?? 3599,
          token_type: 'Bearer',
        });
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}/token`;
  return {
    url,
    calls,
    behave(b) {
      behaviour = b;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
