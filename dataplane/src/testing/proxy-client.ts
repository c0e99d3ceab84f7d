import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Readable } from 'node:stream';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Something with `request()` that answers like fetch: the proxy's listener behind a real socket. */
export interface ProxyClient {
  /**
   * `path` is the request target (`/app/v1/models`) or an absolute URL, whose authority becomes the
   * Host header (`http://acme.example.com/app/v1/models`). Bodies: a string, bytes or a stream.
   */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Closes the server and its connections; an unused client has nothing to close. */
  close(): Promise<void>;
}

/**
 * The proxy's one front door, the Node listener production serves, driven the way a client drives
 * it: a server on an ephemeral 127.0.0.1 port, started on the first request. The server does not
 * keep the process alive (tests need not close it), and each request has its own connection, so
 * nothing lingers once its response is read.
 */
export function proxyClient(listener: Listener): ProxyClient {
  let server: http.Server | undefined;
  let port: Promise<number> | undefined;
  const listening = (): Promise<number> => {
    if (!port) {
      const s = http.createServer(listener);
      server = s;
      port = new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
      });
      s.unref();
    }
    return port;
  };
  return {
    async request(path, init = {}) {
      return send(await listening(), path, init);
    },
    async close() {
      const s = server;
      if (!s) return;
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    },
  };
}

function send(port: number, path: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  let target = path;
  if (/^https?:\/\//.test(path)) {
    const url = new URL(path);
    target = url.pathname + url.search;
    if (!headers.has('host')) headers.set('host', url.host);
  }
  const method = init.method ?? 'GET';
  const body = bodyOf(init.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: target,
        method,
        headers: Object.fromEntries(headers),
        agent: false,
        ...(init.signal ? { signal: init.signal } : {}),
      },
      (res) => resolve(responseOf(res, method)),
    );
    req.once('error', reject);
    if (body instanceof ReadableStream) void write(req, body);
    else req.end(body);
  });
}

/** A streamed body, chunk by chunk (sent chunked), as fetch sends one with `duplex: 'half'`. */
async function write(req: http.ClientRequest, body: ReadableStream<Uint8Array>): Promise<void> {
  try {
    for await (const chunk of body) if (!req.write(chunk)) await once(req, 'drain');
    req.end();
  } catch (err) {
    req.destroy(err as Error);
  }
}

function bodyOf(body: RequestInit['body']): string | Uint8Array | ReadableStream<Uint8Array> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof ReadableStream) return body;
  throw new TypeError('proxyClient: a body is a string, bytes or a ReadableStream');
}

function responseOf(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const status = res.statusCode ?? 0;
  const empty = method === 'HEAD' || status === 204 || status === 304;
  if (empty) res.resume();
  const body = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}
