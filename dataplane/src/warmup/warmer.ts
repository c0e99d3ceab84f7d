import type { ConfigStore } from '../config/store';
import type { AdapterSet } from '../providers/types';
import type { Logger } from '../telemetry/logger';
import type { WarmupLimits } from './limits';
import { warmUp } from './run';

export { DEFAULT_WARMUP } from './limits';

/** A later warm-up (new routes or formats in a config change) gets this share of the budget. */
const LATER_SHARE = 0.25;
/** Before readiness, how many times a config that changed while being warmed is warmed again. */
const MAX_REQUEUED = 3;

/**
 * Warms the request path up for each config the store takes: the first config fully, before
 * readiness (`waiting()`); later ones cheaply, only for the shapes no earlier warm-up sent (new routes,
 * formats or plugin sets), without touching readiness. One warm-up runs at a time; changes that arrive
 * meanwhile are warmed next, at their latest. Nothing when `limits` is false.
 */
export class Warmer {
  private readonly warmed = new Set<string>();
  private running: Promise<void> | undefined;
  private again = false;
  /** Readiness has been granted once: later warm-ups never take it back. */
  private opened = false;
  /** Warm-ups queued behind the first before readiness: a config that keeps changing opens it anyway. */
  private requeued = 0;
  /** A warm-up has run `collectGarbage`. */
  private collected = false;

  constructor(
    private readonly deps: {
      store: ConfigStore;
      adapters: AdapterSet;
      logger: Logger;
      limits: WarmupLimits | false;
      /** A full GC for the first warm-up to run between its two rounds (run.ts: warmUp). */
      collectGarbage?: () => void;
    },
  ) {}

  /** Starts a warm-up of the store's config (or queues one behind the warm-up under way). */
  consider(): void {
    if (this.deps.limits === false || this.deps.store.current.serial === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run(this.deps.limits).finally(() => {
      this.running = undefined;
      // A config completed meanwhile (discovery sends the first one in parts) is warmed as the
      // first, before readiness, rather than as a later change after it.
      if (this.deps.store.ready && (!this.again || ++this.requeued > MAX_REQUEUED)) this.opened = true;
      if (this.again) {
        this.again = false;
        this.consider();
      }
    });
  }

  /** What readiness waits for: a warm-up under way before the first ready config is warm. */
  waiting(): string | undefined {
    if (this.opened) return undefined;
    if (this.running) return 'warming up';
    if (this.deps.store.ready) this.opened = true;
    return undefined;
  }

  /** Resolves once no warm-up runs (each is bounded by its budget). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(limits: WarmupLimits): Promise<void> {
    const { store, adapters, logger, collectGarbage } = this.deps;
    const budgetMs = this.opened ? Math.round(limits.budgetMs * LATER_SHARE) : limits.budgetMs;
    try {
      const report = await warmUp(
        store.current,
        // The GC once, before readiness: later warm-ups run while traffic is served.
        { adapters, level: logger.level, ...(this.opened || this.collected ? {} : { collectGarbage }) },
        { ...limits, budgetMs },
        this.warmed,
      );
      for (const shape of report.shapes) this.warmed.add(shape);
      if (report.collected) this.collected = true;
      if (report.shapes.length > 0 || report.preconnected > 0) logger.debug(report, 'warm-up done');
    } catch (err) {
      logger.warn({ err: String(err) }, 'warm-up failed; serving without it');
    }
  }
}
