import { CallAbort } from '../providers/abort';
import type { UpstreamBody, UpstreamResponse } from '../providers/types';

/**
 * The abort plumbing of dispatch's tries: a child signal linked to the request's, a response raced
 * against it, a discarded body drained (keeping its connection) and a body watched to its end.
 */

/** A discarded error body gets this long to drain (keeping its connection) before the try is cut. */
const DISCARD_MS = 1_000;

/** The child aborts with the parent; returns the unlink. */
export function link(parent: CallAbort, child: CallAbort): () => void {
  if (parent.aborted) {
    child.abort(parent.reason);
    return () => undefined;
  }
  const onAbort = () => child.abort(parent.reason);
  parent.once('abort', onAbort);
  return () => parent.off('abort', onAbort);
}

/** Rejects as soon as `signal` aborts, even if `p` ignores it; a late response is then discarded. */
export function raceAbort<R extends UpstreamResponse>(p: Promise<R>, signal: CallAbort): Promise<R> {
  if (signal.aborted) {
    p.then(discard, () => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      p.then(discard, () => undefined);
      reject(abortError(signal));
    };
    signal.once('abort', onAbort);
    p.then(
      (r) => {
        signal.off('abort', onAbort);
        resolve(r);
      },
      (e: unknown) => {
        signal.off('abort', onAbort);
        reject(e);
      },
    );
  });
}

function abortError(signal: CallAbort): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('upstream call aborted');
}

/**
 * Reads and drops a body we will not relay, in the background, so its connection can be reused;
 * a body that does not end within DISCARD_MS has its try cut.
 */
export function discard(response: UpstreamResponse, cancel?: () => void): void {
  const timer = cancel ? setTimeout(cancel, DISCARD_MS) : undefined;
  void (async () => {
    try {
      for await (const _ of response.body) {
        // dropped
      }
    } catch {
      // the try is over either way
    } finally {
      clearTimeout(timer);
    }
  })();
}

/** `body`, calling `done` once when it ends (with the error if it failed) or is abandoned. */
export function tracked(body: UpstreamBody, done: (err?: unknown) => void): UpstreamBody {
  let finished = false;
  const end = (err?: unknown) => {
    if (finished) return;
    finished = true;
    done(err);
  };
  const out: UpstreamBody = {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const it = body[Symbol.asyncIterator]();
      return {
        next: () =>
          it.next().then(
            (r) => {
              if (r.done) end();
              return r;
            },
            (err: unknown) => {
              end(err ?? new Error('body failed'));
              throw err;
            },
          ),
        return: async () => {
          end();
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
  const whole = body.whole?.bind(body);
  if (whole) {
    out.whole = () =>
      whole().then(
        (b) => {
          end();
          return b;
        },
        (err: unknown) => {
          end(err ?? new Error('body failed'));
          throw err;
        },
      );
  }
  return out;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: CallAbort): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.off('abort', onAbort);
      resolve(true);
    }, ms);
    signal.once('abort', onAbort);
  });
}
