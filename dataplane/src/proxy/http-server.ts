import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../telemetry/logger';
import { errorBodyFor } from './failures';
import { GatewayError, errors } from '../errors/errors';

/** How the proxy's HTTP server treats connections: slow, malformed and too many of them. */
export interface HttpLimits {
  /** Longest time for a request's headers to arrive (slow-header clients are cut with 408). */
  headersTimeoutMs: number;
  /**
   * Longest time for a whole request (headers and body) to arrive: a backstop; the Gateway's own
   * `requestTimeout` answers first, in the caller's format, when it is shorter.
   */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept: longer than load balancers' idle timeouts. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; the ones beyond are closed as they are accepted. */
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 10_000,
};

/** Seen by the HTTP server when its parser fails, or its header or request timeout fires. */
type ClientError = Error & { code?: string; reason?: string };

/**
 * The answer to a request Node's parser refused (or that did not arrive in time): 408 for a
 * timeout, 431 for headers past Node's limit, 400 for any other malformed request; undefined when
 * the client is gone and nothing can be answered.
 */
export function clientErrorAnswer(err: ClientError): GatewayError | undefined {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errors.requestTimeout();
    case 'HPE_HEADER_OVERFLOW':
      return errors.headersTooLarge(http.maxHeaderSize);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return errors.malformedRequest('chunk extensions are too large');
    default:
      // llhttp's reason is a fixed description ("Invalid header value char"), never the bytes sent.
      return errors.malformedRequest(describe(err.reason ?? 'unreadable request'));
  }
}

/** A complete HTTP/1.1 response with an OpenAI-style error body; the connection is closed after it. */
export function rawErrorResponse(e: GatewayError): string {
  const body = errorBodyFor(undefined, e);
  return (
    `HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * The proxy's HTTP server: `listener` for requests; bounded header and request times, a connection
 * cap, and an error body in every answer Node would otherwise give bare or not at all (malformed
 * framing, oversized headers, timeouts, an unknown `Expect`, `CONNECT`).
 */
export function createProxyServer(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  limits: HttpLimits,
  logger: Logger,
): http.Server {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often both timeouts are checked (Node's default is 30 s, which lets a slow client
      // hold a connection that long past them).
      connectionsCheckingInterval: Math.min(1_000, Math.max(10, limits.headersTimeoutMs / 4)),
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;

  let dropped = 0;
  let droppedReported = 0;
  server.on('drop', () => {
    dropped++;
    // Once a second at most: a flood of connections must not become a flood of log lines.
    const now = Date.now();
    if (now - droppedReported < 1_000) return;
    droppedReported = now;
    logger.warn({ maxConnections: limits.maxConnections, dropped }, 'connection cap reached: dropping');
  });

  server.on('clientError', (err: ClientError, socket: Duplex) => {
    const answer = clientErrorAnswer(err);
    if (logger.isLevelEnabled('debug')) {
      logger.debug({ code: err.code, status: answer?.status }, 'malformed or late request refused');
    }
    // As Node itself: answer only when no response of this connection has started.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (answer && socket.writable && !inFlight?.headersSent) {
      socket.end(rawErrorResponse(answer));
      socket.once('finish', () => socket.destroy());
      return;
    }
    socket.destroy();
  });

  // Any `Expect` other than 100-continue (which Node answers itself).
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const e = errors.expectationFailed();
    res.writeHead(e.status, { 'content-type': 'application/json', ...e.headers });
    res.end(errorBodyFor(undefined, e));
  });

  // The proxy is not a forward proxy: CONNECT is refused with 405, not a closed socket.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(rawErrorResponse(errors.methodNotAllowed('CONNECT', req.url ?? '')));
    socket.once('finish', () => socket.destroy());
  });

  return server;
}

function describe(reason: string): string {
  const text = reason.replace(/[^\x20-\x7e]/g, '').slice(0, 200);
  return text.charAt(0).toLowerCase() + text.slice(1);
}
