/**
 * Cancels one upstream call: a flag, a reason and the listeners to call once. Not an
 * AbortController (an EventTarget listener costs several times more) nor an EventEmitter (its
 * `once` wraps every listener in a closure and a state object): a request makes four or five of
 * these registrations, and they showed in its allocation profile. `once`/`off` keep the emitter's
 * names; `toSignal()` makes a real AbortSignal on demand for the APIs that need one.
 */
export class CallAbort {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined = undefined;

  /** Calls `listener` when aborted (never if already aborted: check `aborted` first). */
  once(_event: 'abort', listener: () => void): this {
    if (!this.aborted) (this.listeners ??= []).push(listener);
    return this;
  }

  off(_event: 'abort', listener: () => void): this {
    const list = this.listeners;
    if (list) {
      const i = list.lastIndexOf(listener);
      if (i !== -1) list.splice(i, 1);
    }
    return this;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const list = this.listeners;
    this.listeners = undefined;
    if (list) for (const listener of list) listener();
  }

  toSignal(): AbortSignal {
    const controller = new AbortController();
    if (this.aborted) controller.abort(this.reason);
    else this.once('abort', () => controller.abort(this.reason));
    return controller.signal;
  }
}

/** What the upstream calls take to be cut: a CallAbort, or a standard AbortSignal (the MCP plane's). */
export type UpstreamSignal = CallAbort | AbortSignal;

/** Calls `listener` once when `signal` aborts (not when it already has: check `aborted` first). */
export function whenAborted(signal: UpstreamSignal, listener: () => void): void {
  if (signal instanceof CallAbort) signal.once('abort', listener);
  else signal.addEventListener('abort', listener, { once: true });
}

/** Undoes `whenAborted`. */
export function notWhenAborted(signal: UpstreamSignal, listener: () => void): void {
  if (signal instanceof CallAbort) signal.off('abort', listener);
  else signal.removeEventListener('abort', listener);
}
