import { errors as undiciErrors, type Dispatcher } from './undici';
import { notWhenAborted, whenAborted, type UpstreamSignal } from './abort';

/**
 * An upstream response body, consumed once: chunk by chunk (a stream relayed as it arrives), or —
 * cheaper, when nothing is sent before the end — `whole()`, which gathers the chunks as they land
 * without a stream object, an async iterator or a promise per chunk.
 */
export interface UpstreamBody extends AsyncIterable<Uint8Array> {
  whole?(): Promise<Buffer>;
}

/** The whole of `body`: through its own `whole()` when it has one, else by iterating it. */
export async function readWhole(body: UpstreamBody): Promise<Buffer> {
  if (body.whole) return body.whole();
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/** A response's status, its headers (lower-case names) and its body. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}

/** Bytes buffered ahead of a streaming reader before the socket is paused. */
const HIGH_WATER = 64 * 1024;

/**
 * One request through undici's dispatch handler interface, the layer its own `request()` is built
 * on, without what `request()` adds per call (a Readable for the body, an async resource, an abort
 * listener object). Resolves at the response headers; rejects with undici's own errors (connect,
 * headers timeout, socket) as `request()` does. `signal` aborting cuts the request, or fails the
 * body when it comes later; a reader that stops iterating early cuts it too.
 */
export function sendRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: UpstreamSignal,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) reject(new undiciErrors.RequestAbortedError());
    else dispatcher.dispatch(options, new ResponseHandler(signal, resolve, reject));
  });
}

type Controller = Dispatcher.DispatchController;

/** undici's callbacks for one request. */
class ResponseHandler implements Dispatcher.DispatchHandler {
  private controller: Controller | undefined;
  private body: ChunkedBody | undefined;
  private readonly onSignal = () => this.controller?.abort(new undiciErrors.RequestAbortedError());

  constructor(
    private readonly signal: UpstreamSignal,
    private readonly resolve: (r: RawResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    whenAborted(signal, this.onSignal);
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    // Aborted before the request reached a socket: the listener had nothing to cut then.
    if (this.signal.aborted) controller.abort(new undiciErrors.RequestAbortedError());
  }

  onResponseStart(
    controller: Controller,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (status < 200) return; // 1xx: the real answer follows
    const body = new ChunkedBody(controller);
    this.body = body;
    this.resolve({ status, headers, body });
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    this.body?.push(chunk);
  }

  onResponseEnd(): void {
    notWhenAborted(this.signal, this.onSignal);
    this.body?.end();
  }

  onResponseError(_controller: Controller, err: Error): void {
    notWhenAborted(this.signal, this.onSignal);
    if (this.body) this.body.fail(err);
    else this.reject(err);
  }
}

/**
 * The chunks of one body as they arrive: gathered for `whole()`, or queued for an iterator with
 * the socket paused while more than HIGH_WATER bytes wait.
 */
class ChunkedBody implements UpstreamBody {
  private readonly chunks: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private error: Error | undefined;
  private paused = false;
  private mode: 'none' | 'whole' | 'iterate' = 'none';
  private wake: (() => void) | undefined;

  constructor(private readonly controller: Controller) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.queued += chunk.length;
    this.notify();
    if (this.mode !== 'whole' && this.queued > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.controller.pause();
    }
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(err: Error): void {
    this.error = err;
    this.notify();
  }

  whole(): Promise<Buffer> {
    this.claim('whole');
    if (this.paused) {
      this.paused = false;
      this.controller.resume();
    }
    return new Promise((resolve, reject) => {
      const settle = () => {
        if (this.error) reject(this.error);
        else if (this.ended) {
          const c = this.chunks;
          resolve(c.length === 1 ? (c[0] as Buffer) : Buffer.concat(c, this.queued));
        } else return false;
        return true;
      };
      if (!settle()) this.wake = () => void settle();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.claim('iterate');
    return {
      next: () => this.next(),
      return: () => {
        if (!this.ended && !this.error) {
          this.error = new undiciErrors.RequestAbortedError();
          this.controller.abort(this.error);
        }
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.queued -= chunk.length;
      if (this.paused && this.queued <= HIGH_WATER) {
        this.paused = false;
        this.controller.resume();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.wake = () => {
        this.wake = undefined;
        this.next().then(resolve, reject);
      };
    });
  }

  private notify(): void {
    const wake = this.wake;
    if (wake && (this.mode === 'iterate' || this.ended || this.error)) {
      if (this.mode === 'whole') this.wake = undefined;
      wake();
    }
  }

  private claim(mode: 'whole' | 'iterate'): void {
    if (this.mode !== 'none') throw new Error('an upstream body is read once');
    this.mode = mode;
  }
}
