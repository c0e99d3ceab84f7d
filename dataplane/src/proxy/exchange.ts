import type { IncomingMessage, ServerResponse } from 'node:http';
import { safeHeaders } from './safe-headers';

/**
 * One request/response, seen through the narrow surface the pipeline needs: Node's own objects
 * read and written directly — no Headers, Request or Response objects on the hot path. Every
 * response's headers pass `safeHeaders`: none can make the write throw.
 */
export interface Exchange {
  readonly method: string;
  /** Lower-case name. */
  header(name: string): string | undefined;
  /** The TCP peer's address. */
  readonly remoteAddress: string | undefined;
  readonly body: AsyncIterable<Uint8Array>;
  /** Calls `listener` once if the client goes away before the response is complete. */
  onClientGone(listener: () => void): void;
  respond(status: number, headers: Record<string, string>, body: Uint8Array | string): void;
  /** Streams `source`; `done` is called once when it ends, fails or the client leaves. */
  respondStream(
    status: number,
    headers: Record<string, string>,
    source: AsyncIterable<Uint8Array>,
    done: () => void,
  ): void;
  /** A failure after the response started: the connection is cut (the client sees it end early). */
  abandon(): void;
  /** The status line and headers are written: an error can no longer be answered. */
  readonly started: boolean;
}

/** The exchange over Node's request and response: one object, its methods on the prototype. */
export class NodeExchange implements Exchange {
  readonly method: string;

  constructor(
    readonly body: IncomingMessage,
    private readonly out: ServerResponse,
  ) {
    this.method = body.method ?? 'GET';
  }

  header(name: string): string | undefined {
    const v = this.body.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  get remoteAddress(): string | undefined {
    return this.body.socket.remoteAddress;
  }

  get started(): boolean {
    return this.out.headersSent;
  }

  onClientGone(listener: () => void): void {
    const out = this.out;
    out.once('close', () => {
      if (!out.writableFinished) listener();
    });
  }

  /**
   * With Content-Length, so the body goes out with the headers instead of as chunks; the headers as
   * Node's flat [name, value, …] list (its cheapest form, and `headers` is never written to).
   */
  respond(status: number, headers: Record<string, string>, body: Uint8Array | string): void {
    const safe = safeHeaders(headers);
    const flat: string[] = [];
    for (const name in safe) if (name !== 'content-length') flat.push(name, safe[name] as string);
    // 204 and 304 have no body, and no Content-Length either (RFC 9110 §8.6).
    if (status !== 204 && status !== 304)
      flat.push(
        'content-length',
        String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength),
      );
    this.out.writeHead(status, flat);
    this.out.end(body);
  }

  respondStream(
    status: number,
    headers: Record<string, string>,
    source: AsyncIterable<Uint8Array>,
    done: () => void,
  ): void {
    this.out.writeHead(status, safeHeaders(headers));
    this.out.flushHeaders();
    void pump(this.out, source, done);
  }

  abandon(): void {
    this.out.destroy();
  }
}

async function pump(out: ServerResponse, source: AsyncIterable<Uint8Array>, done: () => void): Promise<void> {
  try {
    for await (const chunk of source) {
      if (out.destroyed) break;
      if (!out.write(chunk)) await waitDrain(out);
    }
  } finally {
    if (!out.destroyed) out.end();
    done();
  }
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
