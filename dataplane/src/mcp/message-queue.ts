import type { Json } from '../formats/wire';

/**
 * Messages pushed by one side and read by another as an async iterable, in order: the reader
 * waits for the next one, gets the failure once the queue is drained, and stops at `end()`.
 * `onReturn` runs once when the reader is done (finished, failed or stopped early).
 */
export class MessageQueue {
  private readonly items: Json[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private ended = false;

  constructor(private readonly onReturn: () => void = () => undefined) {}

  push(m: Json): void {
    if (this.ended || this.failure) return;
    this.items.push(m);
    this.wake?.();
  }

  fail(err: Error): void {
    if (this.ended || this.failure) return;
    this.failure = err;
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *read(): AsyncGenerator<Json> {
    try {
      for (;;) {
        const m = this.items.shift();
        if (m !== undefined) {
          yield m;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      this.ended = true;
      this.onReturn();
    }
  }
}
