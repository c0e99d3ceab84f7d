import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { safeHeaders } from './safe-headers';

/**
 * One request/response, seen through the narrow surface the pipeline needs. Under
 * @hono/node-server it reads and writes Node's own objects directly — no Headers, Request or
 * Response objects on the hot path; under `app.request()` (tests, other runtimes) it uses the
 * web-standard ones. Every response's headers pass `safeHeaders`: none can make the write throw.
 */
export interface Exchange {
  readonly method: string;
  /** Lower-case name. */
  header(name: string): string | undefined;
  /** The absolute request URL's authority, when the Host header is missing (web requests). */
  readonly urlHost: string | undefined;
  /** The TCP peer's address; undefined when not on a socket (app.request() in tests). */
  readonly remoteAddress: string | undefined;
  readonly body: AsyncIterable<Uint8Array> | null;
  /** Calls `listener` once if the client goes away before the response is complete. */
  onClientGone(listener: () => void): void;
  respond(status: number, headers: Record<string, string>, body: Uint8Array | string): Response;
  /** Streams `source`; `done` is called once when it ends, fails or the client leaves. */
  respondStream(
    status: number,
    headers: Record<string, string>,
    source: AsyncIterable<Uint8Array>,
    done: () => void,
  ): Response;
}

export function nodeExchange(incoming: IncomingMessage, outgoing: ServerResponse): Exchange {
  return {
    method: incoming.method ?? 'GET',
    header(name) {
      const v = incoming.headers[name];
      return Array.isArray(v) ? v[0] : v;
    },
    urlHost: undefined,
    get remoteAddress() {
      return incoming.socket.remoteAddress;
    },
    body: incoming,
    onClientGone(listener) {
      outgoing.once('close', () => {
        if (!outgoing.writableFinished) listener();
      });
    },
    respond(status, headers, body) {
      outgoing.writeHead(status, safeHeaders(headers));
      outgoing.end(body);
      return RESPONSE_ALREADY_SENT;
    },
    respondStream(status, headers, source, done) {
      outgoing.writeHead(status, safeHeaders(headers));
      outgoing.flushHeaders();
      void (async () => {
        try {
          for await (const chunk of source) {
            if (outgoing.destroyed) break;
            if (!outgoing.write(chunk)) await waitDrain(outgoing);
          }
        } finally {
          if (!outgoing.destroyed) outgoing.end();
          done();
        }
      })();
      return RESPONSE_ALREADY_SENT;
    },
  };
}

function waitDrain(out: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      out.off('drain', finish);
      out.off('close', finish);
      resolve();
    };
    out.on('drain', finish);
    out.on('close', finish);
  });
}

export function webExchange(req: Request): Exchange {
  return {
    method: req.method,
    header: (name) => req.headers.get(name) ?? undefined,
    urlHost: hostOf(req.url),
    remoteAddress: undefined,
    body: req.body,
    onClientGone(listener) {
      req.signal.addEventListener('abort', listener, { once: true });
    },
    // 204 and 304 must not have a body, not even an empty one, in a web Response.
    respond: (status, headers, body) =>
      new Response(status === 204 || status === 304 ? null : body, { status, headers: safeHeaders(headers) }),
    respondStream(status, headers, source, done) {
      const it = source[Symbol.asyncIterator]();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const next = await it.next();
            if (next.done) {
              controller.close();
              done();
            } else {
              controller.enqueue(next.value);
            }
          } catch (err) {
            controller.error(err);
            done();
          }
        },
        async cancel() {
          await it.return?.(undefined);
          done();
        },
      });
      return new Response(stream, { status, headers: safeHeaders(headers) });
    },
  };
}

/** The authority of an absolute URL, without parsing the whole URL. */
function hostOf(url: string): string | undefined {
  const start = url.indexOf('://');
  if (start === -1) return undefined;
  const end = url.indexOf('/', start + 3);
  return url.slice(start + 3, end === -1 ? undefined : end);
}
