export interface DebounceOptions {
  /** Run once no new trigger arrived for this long (read at each trigger, so it may adapt). */
  quietMs: number | (() => number);
  /** ...but never later than this after the first trigger of a burst. */
  maxMs: number;
}

/**
 * Coalesces bursts of triggers into one run: after `quietMs` without a trigger, or `maxMs` after the
 * first one, whichever comes first. A trigger during a run schedules one more run after it.
 */
export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly run: () => Promise<void> | void,
    private readonly options: DebounceOptions,
    private readonly now: () => number = Date.now,
  ) {}

  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    const now = this.now();
    if (this.timer === undefined) this.firstAt = now;
    clearTimeout(this.timer);
    const { quietMs, maxMs } = this.options;
    const quiet = typeof quietMs === 'number' ? quietMs : quietMs();
    const due = Math.min(now + quiet, this.firstAt + maxMs);
    this.timer = setTimeout(() => void this.fire(), Math.max(0, due - now));
  }

  /** Runs now if a run is pending; resolves when no run is in progress. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) await this.fire();
    while (this.running) await this.running;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
  }

  private async fire(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = Promise.resolve()
      .then(this.run)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.trigger();
        }
      });
    await this.running;
  }
}
