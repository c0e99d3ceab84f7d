import { EventEmitter } from 'node:events';

/**
 * Cancels one upstream call. An EventEmitter rather than an AbortController: undici accepts either,
 * and on the hot path the emitter costs a fraction of an EventTarget listener. `toSignal()` makes a
 * real AbortSignal on demand for the APIs that need one.
 */
export class CallAbort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }

  toSignal(): AbortSignal {
    const controller = new AbortController();
    if (this.aborted) controller.abort(this.reason);
    else this.once('abort', () => controller.abort(this.reason));
    return controller.signal;
  }
}
