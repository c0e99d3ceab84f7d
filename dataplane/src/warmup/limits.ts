/**
 * The warm-up's bounds and the CLI's defaults, in a module of their own that imports nothing: the
 * warm-up's runner and the CLI's flag parsing share them without either pulling in the other.
 */

/** How much one warm-up may do. */
export interface WarmupLimits {
  /** Longest a warm-up runs, ms (the requests stop then; closing what it opened follows). */
  budgetMs: number;
  /** Most synthetic requests one warm-up sends, all shapes together. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Connections opened ahead of traffic to each upstream origin of the config (0: none). */
  connections: number;
}

/** The CLI's defaults (`--warmup`, `--warmup-connections`). */
export const DEFAULT_WARMUP: WarmupLimits = {
  budgetMs: 1500,
  requests: 3000,
  concurrency: 8,
  connections: 4,
};
