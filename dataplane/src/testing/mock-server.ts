import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the next requests to a provider mock meet; switch it at any time. */
export type Behaviour =
  | { kind: 'ok'; reply?: string; chunkDelayMs?: number }
  /** An error in the mock's format; `echoCredential`: its message repeats the credential presented. */
  | { kind: 'status'; status: number; retryAfter?: string; echoCredential?: boolean }
  | { kind: 'hang' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'dieMidStream'; afterChunks: number }
  | { kind: 'malformed' }
  /** Exactly these bytes, whatever was asked (a broken upstream: not JSON, the wrong shape, bad SSE). */
  | { kind: 'raw'; status?: number; contentType: string; body: string }
  /** The connection reset (TCP RST) as soon as the request has arrived. */
  | { kind: 'reset' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request as a provider mock's handler sees it. */
export interface MockExchange {
  req: IncomingMessage;
  res: ServerResponse;
  raw: Buffer;
  behaviour: Behaviour;
  /** 1-based count of requests so far, this one included (for ids). */
  n: number;
}

export interface MockServer {
  port: number;
  requests: RecordedRequest[];
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

/**
 * The part every provider mock shares: a real HTTP server on 127.0.0.1 (port 0) that records each
 * request, hands it with the behaviour in force to `handle`, and on close drops kept-alive sockets
 * so tests end promptly. A handler that throws answers 500 (or cuts a response already started).
 */
export async function startMockServer(handle: (x: MockExchange) => unknown): Promise<MockServer> {
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
      if (answerFault(req, res, behaviour)) return;
      Promise.resolve()
        .then(() => handle({ req, res, raw, behaviour, n: requests.length }))
        .catch(() => {
          if (res.headersSent) res.destroy();
          else res.writeHead(500).end();
        });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
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

/** The faults every mock shows alike, whatever its format; true when one answered. */
function answerFault(req: IncomingMessage, res: ServerResponse, b: Behaviour): boolean {
  if (b.kind === 'reset') {
    req.socket.resetAndDestroy();
    return true;
  }
  if (b.kind === 'raw') {
    res.writeHead(b.status ?? 200, { 'content-type': b.contentType });
    res.end(b.body);
    return true;
  }
  return false;
}

/**
 * Applies the timing behaviours before an answer: `slow` waits, `hang` never answers (false: the
 * caller must not respond). Status and malformed answers are each mock's own, in its format.
 */
export async function answerAsBehaved(b: Behaviour): Promise<boolean> {
  if (b.kind === 'hang') return false;
  if (b.kind === 'slow') await new Promise((r) => setTimeout(r, b.delayMs));
  return true;
}

/**
 * Writes a stream's pieces (SSE text or binary event-stream messages) as the behaviour says: with
 * the `ok` behaviour's delay between pieces, or cut after `afterChunks` pieces by dropping the
 * connection as a crashed upstream would.
 */
export async function writeStream(
  res: ServerResponse,
  pieces: readonly (string | Uint8Array)[],
  b: Behaviour,
) {
  const delay = b.kind === 'ok' ? (b.chunkDelayMs ?? 0) : 0;
  for (const [i, piece] of pieces.entries()) {
    if (res.destroyed) return; // the client (the gateway) left: stop writing
    if (b.kind === 'dieMidStream' && i === b.afterChunks) {
      // let what was written reach the client first
      await new Promise((r) => setTimeout(r, 50));
      res.socket?.destroy();
      return;
    }
    if (delay > 0 && i > 0) await new Promise((r) => setTimeout(r, delay));
    res.write(piece);
  }
  res.end();
}
