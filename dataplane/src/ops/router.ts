import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/**
 * The ops port's few routes, served straight on node:http. (A web framework on Node's fetch types
 * would load Node's own copy of undici — fetch, Headers, Request, Response, web streams — next to
 * the npm undici the upstreams use: ~8 MB of idle RSS for five routes; see docs/internals.md.)
 */

/** What a route reads of its request. */
export interface OpsRequest {
  /** The path's `:name` segments, percent-decoded. */
  params: Readonly<Record<string, string>>;
  header(name: string): string | undefined;
  /** The body as text; rejects (the answer is a 413) beyond MAX_OPS_BODY_BYTES. */
  text(): Promise<string>;
}

/** An answer: JSON (sent as application/json) or text with the content type in `headers`. */
export type OpsReply = { status: number; headers?: Readonly<Record<string, string>> } & (
  { json: unknown } | { text: string }
);

export interface OpsRoute {
  /** A GET route answers HEAD too (headers only). */
  method: 'GET' | 'POST';
  /** Exact (`/healthz`), or with `:name` segments that match one non-empty segment each. */
  path: string;
  handle(req: OpsRequest): OpsReply | Promise<OpsReply>;
}

/** Runs before any request for `under` or below it (routed or not): a reply stops the request there. */
export interface OpsGuard {
  under: string;
  check(req: OpsRequest): OpsReply | undefined;
}

/** The ops port takes small JSON bodies only (an approval's decision). */
export const MAX_OPS_BODY_BYTES = 64 * 1024;

const NOT_FOUND: OpsReply = {
  status: 404,
  headers: { 'content-type': 'text/plain; charset=UTF-8' },
  text: '404 Not Found',
};
const FAILED: OpsReply = {
  status: 500,
  headers: { 'content-type': 'text/plain; charset=UTF-8' },
  text: 'Internal Server Error',
};
const TOO_LARGE: OpsReply = {
  status: 413,
  json: {
    error: { message: `the body is over ${MAX_OPS_BODY_BYTES} bytes`, type: 'invalid_request' },
  },
};

class BodyTooLarge extends Error {}
/** The client went away before its body ended: nobody to answer. */
class ClientGone extends Error {}

interface Compiled {
  route: OpsRoute;
  /** Per segment: the literal, or the name of a `:name` parameter. */
  segments: { literal?: string; param?: string }[];
}

/**
 * A node:http listener for `routes`: unknown paths and methods are 404 (text), a route that throws
 * is 500 (text; `onError` is told), a body over MAX_OPS_BODY_BYTES is 413.
 */
export function opsListener(
  routes: readonly OpsRoute[],
  guards: readonly OpsGuard[] = [],
  onError: (err: unknown) => void = () => undefined,
): RequestListener {
  const compiled = routes.map(compile);
  return (req, res) => {
    answer(req, compiled, guards).then(
      (reply) => send(res, reply),
      (err: unknown) => {
        if (err instanceof BodyTooLarge) return send(res, TOO_LARGE, true);
        if (err instanceof ClientGone) return void res.destroy();
        onError(err);
        send(res, FAILED);
      },
    );
  };
}

async function answer(
  req: IncomingMessage,
  routes: readonly Compiled[],
  guards: readonly OpsGuard[],
): Promise<OpsReply> {
  const url = req.url ?? '/';
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  const found = lookup(routes, req.method === 'HEAD' ? 'GET' : req.method, path);
  const request: OpsRequest = {
    params: found?.params ?? {},
    header: (name) => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    text: () => readBody(req),
  };
  for (const guard of guards) {
    if (path !== guard.under && !path.startsWith(`${guard.under}/`)) continue;
    const refused = guard.check(request);
    if (refused) return refused;
  }
  return found ? found.route.handle(request) : NOT_FOUND;
}

/** The first route for `method` whose path matches, with its parameters. */
function lookup(routes: readonly Compiled[], method: string | undefined, path: string) {
  for (const { route, segments } of routes) {
    if (route.method !== method) continue;
    const params = match(segments, path);
    if (params) return { route, params };
  }
  return undefined;
}

function compile(route: OpsRoute): Compiled {
  const segments = route.path
    .split('/')
    .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s }));
  return { route, segments };
}

/** The parameters when `path` matches `segments`, else undefined. */
function match(segments: Compiled['segments'], path: string): Record<string, string> | undefined {
  const parts = path.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const { literal, param } = segments[i] as Compiled['segments'][number];
    const part = decode(parts[i] as string);
    if (param !== undefined) {
      if (part === '') return undefined;
      params[param] = part;
    } else if (part !== literal) return undefined;
  }
  return params;
}

function decode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OPS_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', () => reject(new ClientGone()));
    req.once('close', () => {
      if (!req.complete) reject(new ClientGone());
    });
  });
}

function send(res: ServerResponse, reply: OpsReply, close = false): void {
  if (res.headersSent) return void res.end();
  const json = 'json' in reply;
  const body = Buffer.from(json ? JSON.stringify(reply.json) : reply.text);
  res.writeHead(reply.status, {
    ...(json ? { 'content-type': 'application/json' } : {}),
    ...reply.headers,
    'content-length': body.length,
    // The rest of a body refused unread is not read: the connection ends with the answer.
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
}
