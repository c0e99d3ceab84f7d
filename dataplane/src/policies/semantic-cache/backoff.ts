/**
 * Per embedding endpoint: after a failure, calls are skipped for a while (1s, doubling per failure
 * in a row, at most 30s), so a down or hung embedding Registry costs one timeout now and then
 * rather than one per request. Pure: the caller passes the time.
 */
export class Backoff {
  private readonly streaks = new Map<string, { failures: number; until: number }>();

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 30_000,
  ) {}

  /** Whether a call may be made at `now`. */
  allows(key: string, now: number): boolean {
    const s = this.streaks.get(key);
    return s === undefined || now >= s.until;
  }

  /** Records a failure; returns the failures in a row and how long calls are skipped. */
  failed(key: string, now: number): { failures: number; skipMs: number } {
    const failures = (this.streaks.get(key)?.failures ?? 0) + 1;
    const skipMs = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(failures - 1, 30));
    this.streaks.set(key, { failures, until: now + skipMs });
    return { failures, skipMs };
  }

  /** Records a success; returns whether it ended a streak of failures. */
  succeeded(key: string): boolean {
    return this.streaks.delete(key);
  }
}
