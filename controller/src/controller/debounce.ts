export interface DebounceOptions {
  /** Run once no new trigger arrived for this long (read at each trigger, so it may adapt). */
  quietMs: number | (() => number);
  /** ...but never later than this after the first trigger of a burst. */
  maxMs: number;
  /**
   * A trigger after a quiet spell runs at the next turn of the event loop instead of after the quiet
   * period (what arrives in the same turn joins it); what follows is coalesced as usual. An isolated
   * change then costs no waiting; a burst costs one run more.
   */
  leading?: boolean;
}

/**
 * Coalesces bursts of triggers into one run: after `quietMs` without a trigger, or `maxMs` after the
 * first one, whichever comes first. A trigger during a run schedules one more run after it.
 */
export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private firstAt = 0;
  private lastTriggerAt = -Infinity;
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
    if (this.immediate !== undefined) return; // joins the run about to start
    const now = this.now();
    const { quietMs, maxMs, leading } = this.options;
    const quiet = typeof quietMs === 'number' ? quietMs : quietMs();
    const idle = now - this.lastTriggerAt >= quiet;
    this.lastTriggerAt = now;
    if (leading && idle && this.timer === undefined) {
      this.immediate = setImmediate(() => void this.fire());
      return;
    }
    if (this.timer === undefined) this.firstAt = now;
    clearTimeout(this.timer);
    const due = Math.min(now + quiet, this.firstAt + maxMs);
    this.timer = setTimeout(() => void this.fire(), Math.max(0, due - now));
  }

  /** Runs now if a run is pending; resolves when no run is in progress. */
  async flush(): Promise<void> {
    if (this.timer !== undefined || this.immediate !== undefined) await this.fire();
    while (this.running) await this.running;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    this.again = false;
  }

  private async fire(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearImmediate(this.immediate);
    this.immediate = undefined;
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
